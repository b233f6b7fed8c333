using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Logging;
using Pulse.Gateway.Api.Problems;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>
/// The filter of <c>/api/v1/admin</c>: only the admin key passes. No key or a wrong key is 401; a
/// tenant API key (anything in the key format) is 403, tenants never reach admin routes; admin routes
/// without a configured admin key are 403 saying how to enable them.
/// </summary>
internal sealed class AdminAuthorizationFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        HttpContext http = context.HttpContext;
        AdminKeyVerifier admin = http.RequestServices.GetRequiredService<AdminKeyVerifier>();
        if (!admin.Enabled)
        {
            string hint = http.RequestServices.GetRequiredService<IOptions<GatewayApiOptions>>().Value.AdminKeyHint;
            return ValueTask.FromResult<object?>(ApiResults.Forbidden($"Admin routes are disabled because no admin key is configured. {hint}"));
        }

        string path = http.Request.Path.Value ?? "/";
        if (!BearerToken.TryRead(http.Request, out string token))
        {
            Log(http, path, "no bearer token");
            return ValueTask.FromResult<object?>(ApiResults.Unauthorized("The admin key is required: send 'Authorization: Bearer <admin key>'.", bearerError: null));
        }

        if (admin.IsAdminKey(token))
        {
            return next(context);
        }

        if (ApiKeys.TryParse(token, out _, out _))
        {
            Log(http, path, "tenant API key on an admin route");
            return ValueTask.FromResult<object?>(ApiResults.Forbidden("Tenant API keys cannot use admin routes."));
        }

        Log(http, path, "wrong admin key");
        return ValueTask.FromResult<object?>(ApiResults.Unauthorized("The admin key is invalid."));
    }

    private static void Log(HttpContext http, string path, string reason) =>
        GatewayApiLog.CredentialsRefused(http.RequestServices.GetRequiredService<ILogger<AdminAuthorizationFilter>>(), path, reason);
}
