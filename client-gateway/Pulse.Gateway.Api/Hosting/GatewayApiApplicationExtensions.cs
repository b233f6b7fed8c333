using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Caching;
using Pulse.Gateway.Api.Problems;
using Pulse.Gateway.Api.RateLimiting;
using Pulse.Gateway.Api.Security;
using Pulse.Gateway.Api.Tenants;
using Pulse.Runtime.Hosting;

namespace Pulse.Gateway.Api.Hosting;

/// <summary>Adds the REST API's middleware and endpoints to an application.</summary>
public static class GatewayApiApplicationExtensions
{
    /// <summary>
    /// The API's middleware, outermost first: security headers, compression, problem details for every
    /// error, routing, the request body limit (after routing, so an endpoint can carry its own limit),
    /// request timeouts. Call before any endpoint mapping and before other middleware that should see
    /// these; then call <see cref="MapPulseGatewayApi"/>.
    /// </summary>
    public static IApplicationBuilder UsePulseGatewayApi(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseMiddleware<SecurityHeadersMiddleware>();
        app.UseResponseCompression();
        app.UseMiddleware<ProblemDetailsMiddleware>();
        app.UseRouting();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseRequestTimeouts();
        return app;
    }

    /// <summary>
    /// Maps <c>/health/live</c>, <c>/health/ready</c> (no key), <c>/openapi/v1.json</c>, the admin routes
    /// under <c>/api/v1/admin</c> and the tenant routes under <c>/api/v1</c>. Call once.
    /// </summary>
    public static IEndpointRouteBuilder MapPulseGatewayApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(GatewayHealthTags.Live),
            ResponseWriter = HealthResponses.WriteJsonAsync,
        }).DisableRequestTimeout();
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(GatewayHealthTags.Ready),
            ResponseWriter = HealthResponses.WriteJsonAsync,
        }).DisableRequestTimeout();
        endpoints.MapOpenApi("/openapi/{documentName}.json");

        // Read here so a bad cache setting fails at start-up; its limits become endpoint metadata.
        CacheApiOptions cache = endpoints.ServiceProvider.GetRequiredService<IOptions<CacheApiOptions>>().Value;

        RouteGroupBuilder admin = endpoints.MapAdminApi();
        TenantAdminEndpoints.Map(admin);
        ApiKeyAdminEndpoints.Map(admin);
        CacheAdminEndpoints.Map(admin);

        RouteGroupBuilder tenant = endpoints.MapTenantApi();
        TenantSelfEndpoints.Map(tenant);
        RateLimitEndpoints.Map(endpoints.MapTenantApi("ratelimit"));
        CacheEndpoints.Map(endpoints.MapTenantApi("cache"), cache);

        RouteGroupBuilder performance = endpoints.MapTenantGroup("/api/performance");
        RateLimitEndpoints.MapLegacy(performance);
        CacheLegacyEndpoints.Map(performance, cache);
        return endpoints;
    }
}
