using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Pulse.Gateway.Api.Problems;

namespace Pulse.Gateway.Api.Authentication;

/// <summary>Route groups that require a caller.</summary>
public static class TenantApiRouteExtensions
{
    /// <summary>The prefix of tenant routes.</summary>
    public const string TenantPrefix = "/api/v1";

    /// <summary>The prefix of admin routes.</summary>
    public const string AdminPrefix = "/api/v1/admin";

    /// <summary>
    /// A route group under <c>/api/v1</c> (or <c>/api/v1/{prefix}</c>) whose endpoints require a tenant API
    /// key. Inside, <c>context.GetTenant()</c> is the authenticated tenant, and the registered
    /// <see cref="ITenantRequestQuota"/>, if any, has already admitted the request. Missing or bad keys get
    /// 401 with <c>WWW-Authenticate: Bearer</c>; the admin key gets 403.
    /// </summary>
    /// <example><code>app.MapTenantApi("ratelimit").MapPost("/check", CheckAsync);</code></example>
    public static RouteGroupBuilder MapTenantApi(this IEndpointRouteBuilder endpoints, string? prefix = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        string path = string.IsNullOrEmpty(prefix) ? TenantPrefix : $"{TenantPrefix}/{prefix.Trim('/')}";
        RouteGroupBuilder group = endpoints.MapGroup(path);
        group.AddEndpointFilterFactory(TenantAuthenticationFilter.Create);
        group.WithMetadata(Problem(StatusCodes.Status401Unauthorized), Problem(StatusCodes.Status403Forbidden));
        return group;
    }

    /// <summary>
    /// A tenant route group at any path, for the salesmate-compatible <c>/api/performance</c> routes:
    /// same authentication and quota as <see cref="MapTenantApi"/>.
    /// </summary>
    public static RouteGroupBuilder MapTenantGroup(this IEndpointRouteBuilder endpoints, string path)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup(path);
        group.AddEndpointFilterFactory(TenantAuthenticationFilter.Create);
        group.WithMetadata(Problem(StatusCodes.Status401Unauthorized), Problem(StatusCodes.Status403Forbidden));
        return group;
    }

    /// <summary>A route group under <c>/api/v1/admin</c> whose endpoints require the admin key.</summary>
    public static RouteGroupBuilder MapAdminApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup(AdminPrefix);
        group.AddEndpointFilter<AdminAuthorizationFilter>();
        group.WithMetadata(Problem(StatusCodes.Status401Unauthorized), Problem(StatusCodes.Status403Forbidden));
        return group;
    }

    /// <summary>OpenAPI metadata: <paramref name="status"/> answers with a problem document.</summary>
    internal static ProducesResponseTypeMetadata Problem(int status) => new(status, typeof(ApiProblem), [ProblemResponses.ContentType]);
}
