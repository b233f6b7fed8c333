using Microsoft.AspNetCore.Http;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// Extension point for the per-request tenant quota. When a service of this type is registered, every
/// endpoint of <see cref="TenantApiRouteExtensions.MapTenantApi"/> calls it right after the tenant was
/// authenticated and before the endpoint runs. Nothing implements it yet: register one with
/// <c>services.AddSingleton&lt;ITenantRequestQuota, MyQuota&gt;()</c>.
/// </summary>
public interface ITenantRequestQuota
{
    /// <summary>
    /// Decides whether the tenant may make this request (its quota is <see cref="TenantContext.RequestQuota"/>).
    /// Return null to let the request through, or the response to send instead, typically
    /// <c>ApiResults.Problem(429, "...")</c> after setting <c>Retry-After</c>.
    /// </summary>
    ValueTask<IResult?> CheckAsync(HttpContext context, TenantContext tenant, CancellationToken cancellationToken);
}
