using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.RateLimiting;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.RateLimiting;

/// <summary>
/// The gateway's own per-tenant request quota, kept by a limiter grain like any tenant limit (GCRA,
/// burst = limit), so every gateway shares one count. A refused request gets 429 with
/// <c>Retry-After</c> and the RateLimit fields of the <c>tenant-quota</c> policy. A busy tenant's
/// requests are admitted from a <see cref="TenantQuotaReserve"/> leased from the grain.
/// </summary>
public sealed class TenantRequestQuota(IGrainFactory grains, TimeProvider time) : ITenantRequestQuota
{
    /// <summary>
    /// The tenant part of the quota grains' keys. Tenant ids never start with '~', so no tenant's own
    /// limits can collide with the quotas.
    /// </summary>
    public const string QuotaKeyspace = "~quota";

    /// <summary>Name of the quota in the RateLimit fields.</summary>
    public const string PolicyName = "tenant-quota";

    private readonly ConcurrentDictionary<string, TenantQuotaReserve> _reserves = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async ValueTask<IResult?> CheckAsync(HttpContext context, TenantContext tenant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(tenant);
        TenantQuota quota = tenant.RequestQuota;
        if (quota.Limit <= 0 || quota.WindowMs <= 0)
        {
            return null;
        }

        TenantQuotaReserve reserve = ReserveFor(tenant.TenantId, quota);
        if (await reserve.AdmitAsync().ConfigureAwait(false)
            is not { Decision.Allowed: false } result)
        {
            return null;
        }

        RateLimitHeaders.Write(context.Response, PolicyName, reserve.Rule, result.Decision, time.GetUtcNow());
        return ApiResults.Problem(
            StatusCodes.Status429TooManyRequests,
            $"The tenant's request quota of {quota.Limit} per {quota.WindowMs} ms is used up; retry after {Math.Max(1, RateLimitHeaders.CeilSeconds(result.Decision.RetryAfterMs))} s.");
    }

    // One reserve per tenant and quota: a changed quota starts afresh.
    internal TenantQuotaReserve ReserveFor(string tenantId, TenantQuota quota)
    {
        if (_reserves.TryGetValue(tenantId, out TenantQuotaReserve? reserve) && reserve.Quota == quota)
        {
            return reserve;
        }

        reserve = new TenantQuotaReserve(quota, grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(QuotaKeyspace, tenantId)), time);
        _reserves[tenantId] = reserve;
        return reserve;
    }
}
