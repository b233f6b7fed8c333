using Microsoft.AspNetCore.Http;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// The filter of the tenant route group: authenticates the tenant (401/403 otherwise), sets the
/// <see cref="TenantContext"/> feature, then runs the <see cref="ITenantRequestQuota"/> hook when one is
/// registered.
/// </summary>
/// <remarks>
/// Created once per endpoint from the application's services, so the singletons it needs are looked up
/// then and not on every request.
/// </remarks>
internal sealed class TenantAuthenticationFilter(TenantAuthenticator authenticator, ITenantRequestQuota? quota = null) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        (TenantContext? tenant, IResult? problem) = await authenticator.AuthenticateAsync(http).ConfigureAwait(false);
        if (tenant is null)
        {
            return problem;
        }

        http.Features.Set(tenant);
        if (quota is not null
            && await quota.CheckAsync(http, tenant, http.RequestAborted).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        return await next(context).ConfigureAwait(false);
    }
}
