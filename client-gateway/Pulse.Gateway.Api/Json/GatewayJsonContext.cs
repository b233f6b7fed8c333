using System.Text.Json;
using System.Text.Json.Serialization;
using Pulse.Gateway.Api.Pagination;
using Pulse.Gateway.Api.Problems;
using Pulse.Gateway.Api.Tenants;

namespace Pulse.Gateway.Api.Json;

/// <summary>
/// Source-generated JSON metadata (camelCase) for every type the platform and the tenant routes read
/// or write, so no request path serializes by reflection. Service endpoints add their own context to
/// <c>JsonOptions.SerializerOptions.TypeInfoResolverChain</c>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(CreateTenantRequest))]
[JsonSerializable(typeof(UpdateTenantRequest))]
[JsonSerializable(typeof(RotateKeyRequest))]
[JsonSerializable(typeof(TenantResponse))]
[JsonSerializable(typeof(CreatedTenantResponse))]
[JsonSerializable(typeof(TenantSummaryResponse))]
[JsonSerializable(typeof(ApiKeyResponse))]
[JsonSerializable(typeof(CreatedApiKeyResponse))]
[JsonSerializable(typeof(AuthenticatedTenantResponse))]
[JsonSerializable(typeof(Page<TenantSummaryResponse>))]
[JsonSerializable(typeof(Page<ApiKeyResponse>))]
public sealed partial class GatewayJsonContext : JsonSerializerContext
{
}
