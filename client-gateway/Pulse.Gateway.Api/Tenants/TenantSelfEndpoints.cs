using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Problems;

namespace Pulse.Gateway.Api.Tenants;

/// <summary><c>GET /api/v1/tenant</c>: which tenant a key authenticates as (and a model tenant route).</summary>
internal static class TenantSelfEndpoints
{
    public static void Map(RouteGroupBuilder tenantApi)
    {
        tenantApi.MapGet("/tenant", (HttpContext context) =>
            {
                TenantContext tenant = context.GetTenant();
                return ApiResults.Json(
                    new AuthenticatedTenantResponse(tenant.TenantId, tenant.Name, tenant.KeyId, TenantRequests.ToResponse(tenant.RequestQuota)),
                    GatewayJsonContext.Default.AuthenticatedTenantResponse);
            })
            .WithName("GetAuthenticatedTenant")
            .WithTags("Tenant")
            .Produces<AuthenticatedTenantResponse>();
    }
}
