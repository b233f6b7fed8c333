using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// The filter of the tenant route group: authenticates the tenant (401/403 otherwise), sets the
/// <see cref="TenantContext"/> feature, then runs the <see cref="ITenantRequestQuota"/> hook when one is
/// registered.
/// </summary>
/// <remarks>
/// One instance per endpoint, made by <see cref="Create"/> from the application's services when the
/// endpoint is built: AddEndpointFilter&lt;T&gt; would construct one, and look up its services, on every request.
/// </remarks>
internal sealed class TenantAuthenticationFilter(TenantAuthenticator authenticator, ITenantRequestQuota? quota) : IEndpointFilter
{
    /// <summary>The filter factory of a tenant route group.</summary>
    public static EndpointFilterDelegate Create(EndpointFilterFactoryContext context, EndpointFilterDelegate next)
    {
        IServiceProvider services = context.ApplicationServices;
        var filter = new TenantAuthenticationFilter(services.GetRequiredService<TenantAuthenticator>(), services.GetService<ITenantRequestQuota>());
        return invocation => filter.InvokeAsync(invocation, next);
    }

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
