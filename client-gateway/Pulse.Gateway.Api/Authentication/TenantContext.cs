using Microsoft.AspNetCore.Http;
using Pulse.GrainInterfaces.Tenants;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// The tenant a request authenticated as, set as an <see cref="HttpContext"/> feature by the tenant
/// route group (<see cref="TenantApiRouteExtensions.MapTenantApi"/>). It comes from the API key only,
/// never from the body or query. Read it with <see cref="TenantHttpContextExtensions.GetTenant"/>.
/// </summary>
/// <param name="TenantId">The tenant id.</param>
/// <param name="Name">The tenant's name.</param>
/// <param name="RequestQuota">The tenant's request quota (as of the last key check, at most the key cache TTL old).</param>
/// <param name="KeyId">The id of the key used (safe to log).</param>
public sealed record TenantContext(string TenantId, string Name, TenantQuota RequestQuota, string KeyId);

/// <summary>Reads the authenticated tenant.</summary>
public static class TenantHttpContextExtensions
{
    /// <summary>The authenticated tenant; throws outside the tenant route group.</summary>
    public static TenantContext GetTenant(this HttpContext context) =>
        context.Features.Get<TenantContext>() ?? throw new InvalidOperationException("No authenticated tenant: the endpoint is not inside MapTenantApi().");

    /// <summary>The authenticated tenant, or null.</summary>
    public static TenantContext? TryGetTenant(this HttpContext context) => context.Features.Get<TenantContext>();
}
