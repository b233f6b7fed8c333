using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// The filter of the tenant route group: authenticates the tenant (401/403 otherwise), sets the
/// <see cref="TenantContext"/> feature, then runs the <see cref="ITenantRequestQuota"/> hook when one is
/// registered.
/// </summary>
internal sealed class TenantAuthenticationFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        TenantAuthenticator authenticator = http.RequestServices.GetRequiredService<TenantAuthenticator>();
        (TenantContext? tenant, IResult? problem) = await authenticator.AuthenticateAsync(http).ConfigureAwait(false);
        if (tenant is null)
        {
            return problem;
        }

        http.Features.Set(tenant);
        if (http.RequestServices.GetService<ITenantRequestQuota>() is { } quota
            && await quota.CheckAsync(http, tenant, http.RequestAborted).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        return await next(context).ConfigureAwait(false);
    }
}
