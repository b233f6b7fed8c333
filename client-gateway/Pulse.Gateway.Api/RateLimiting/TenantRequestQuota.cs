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
/// <c>Retry-After</c> and the RateLimit fields of the <c>tenant-quota</c> policy.
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

    private readonly ConcurrentDictionary<string, (TenantQuota Quota, RateLimitCheck Check)> _checks = new(StringComparer.Ordinal);

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

        RateLimitCheck check = CheckFor(tenant.TenantId, quota);
        RateLimitCheckResult result = await grains.GetGrain<IRateLimiterGrain>(RateLimiterKeys.Limiter(QuotaKeyspace, tenant.TenantId))
            .CheckAsync(check).ConfigureAwait(false);
        if (result.Decision.Allowed)
        {
            return null;
        }

        RateLimitHeaders.Write(context.Response, PolicyName, check.Rule, result.Decision, time.GetUtcNow());
        return ApiResults.Problem(
            StatusCodes.Status429TooManyRequests,
            $"The tenant's request quota of {quota.Limit} per {quota.WindowMs} ms is used up; retry after {Math.Max(1, (result.Decision.RetryAfterMs + 999) / 1000)} s.");
    }

    // One immutable check per tenant and quota, so the hot path allocates no rule.
    private RateLimitCheck CheckFor(string tenantId, TenantQuota quota)
    {
        if (_checks.TryGetValue(tenantId, out var cached) && cached.Quota == quota)
        {
            return cached.Check;
        }

        var check = new RateLimitCheck("quota", new RateLimitRule(RateLimitAlgorithm.Gcra, quota.Limit, quota.WindowMs), 1);
        _checks[tenantId] = (quota, check);
        return check;
    }
}
