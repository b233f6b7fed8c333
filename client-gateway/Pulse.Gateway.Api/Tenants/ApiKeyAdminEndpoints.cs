using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Logging;
using Pulse.Gateway.Api.Pagination;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Tenants;

/// <summary>
/// <c>/api/v1/admin/tenants/{id}/keys</c>: create, list, rotate and revoke a tenant's API keys. A new
/// key is shown once in the response; the grain only ever receives its hash.
/// </summary>
internal static class ApiKeyAdminEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        RouteGroupBuilder keys = admin.MapGroup("/tenants/{id}/keys").WithTags("API keys (admin)");
        keys.MapPost("/", CreateAsync)
            .WithName("CreateApiKey")
            .Produces<CreatedApiKeyResponse>(StatusCodes.Status201Created)
            .WithMetadata(TenantApiRouteExtensions.Problem(404));
        keys.MapGet("/", ListAsync)
            .WithName("ListApiKeys")
            .Produces<Page<ApiKeyResponse>>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400), TenantApiRouteExtensions.Problem(404));
        keys.MapGet("/{keyId}", GetAsync)
            .WithName("GetApiKey")
            .Produces<ApiKeyResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(404));
        keys.MapPost("/{keyId}/rotate", RotateAsync)
            .WithName("RotateApiKey")
            .Accepts<RotateKeyRequest>(isOptional: true, "application/json")
            .Produces<CreatedApiKeyResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400), TenantApiRouteExtensions.Problem(404), TenantApiRouteExtensions.Problem(409));
        keys.MapDelete("/{keyId}", RevokeAsync)
            .WithName("RevokeApiKey")
            .Produces(StatusCodes.Status204NoContent)
            .WithMetadata(TenantApiRouteExtensions.Problem(404), TenantApiRouteExtensions.Problem(409));
    }

    private static async Task<IResult> CreateAsync(HttpContext context, string id, [FromServices] IGrainFactory grains, [FromServices] ILoggerFactory loggers)
    {
        if (!ApiKeys.IsTenantId(id))
        {
            return TenantAdminEndpoints.TenantNotFound(id);
        }

        GeneratedApiKey key = ApiKeys.Create(id);
        TenantResult result = await grains.GetGrain<ITenantGrain>(id).AddKeyAsync(key.ToStored()).WaitAsync(context.RequestAborted);
        if (result.Status != TenantStatus.Ok)
        {
            return Failure(result.Status, id, key.KeyId);
        }

        GatewayApiLog.KeyCreated(loggers.CreateLogger(typeof(ApiKeyAdminEndpoints)), id, key.KeyId);
        return ApiResults.Json(
            new CreatedApiKeyResponse(key.KeyId, id, key.Prefix, key.Key, null, null),
            GatewayJsonContext.Default.CreatedApiKeyResponse,
            StatusCodes.Status201Created,
            $"{TenantRequests.TenantLocation(id)}/keys/{key.KeyId}");
    }

    private static async Task<IResult> ListAsync(HttpContext context, string id, [FromServices] IGrainFactory grains, [FromServices] TimeProvider time)
    {
        if (!PageRequest.TryRead(context, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        if (!page.TryGetNumber(out long offset) || offset > int.MaxValue)
        {
            return PageRequest.InvalidCursor();
        }

        List<ApiKeyInfo>? keys = ApiKeys.IsTenantId(id) ? await grains.GetGrain<ITenantGrain>(id).ListKeysAsync().WaitAsync(context.RequestAborted) : null;
        if (keys is null)
        {
            return TenantAdminEndpoints.TenantNotFound(id);
        }

        // Keys stay in creation order and a tenant holds at most a hundred, so an offset is a stable enough position.
        DateTimeOffset now = time.GetUtcNow();
        int start = (int)Math.Min(offset, keys.Count);
        int end = Math.Min(start + page.Limit, keys.Count);
        var items = new List<ApiKeyResponse>(end - start);
        for (int i = start; i < end; i++)
        {
            items.Add(TenantRequests.ToResponse(keys[i], now));
        }

        string? next = end < keys.Count ? PageCursor.EncodeNumber(end) : null;
        return ApiResults.Json(new Page<ApiKeyResponse>(items, next), GatewayJsonContext.Default.PageApiKeyResponse);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string id, string keyId, [FromServices] IGrainFactory grains, [FromServices] TimeProvider time)
    {
        List<ApiKeyInfo>? keys = ApiKeys.IsTenantId(id) ? await grains.GetGrain<ITenantGrain>(id).ListKeysAsync().WaitAsync(context.RequestAborted) : null;
        if (keys is null)
        {
            return TenantAdminEndpoints.TenantNotFound(id);
        }

        foreach (ApiKeyInfo key in keys)
        {
            if (key.KeyId == keyId)
            {
                return ApiResults.Json(TenantRequests.ToResponse(key, time.GetUtcNow()), GatewayJsonContext.Default.ApiKeyResponse);
            }
        }

        return KeyNotFound(id, keyId);
    }

    private static async Task<IResult> RotateAsync(
        HttpContext context, string id, string keyId, [FromServices] IGrainFactory grains, [FromServices] ApiKeyCache cache, [FromServices] IOptions<GatewayApiOptions> options, [FromServices] TimeProvider time, [FromServices] ILoggerFactory loggers)
    {
        if (!ApiKeys.IsTenantId(id))
        {
            return TenantAdminEndpoints.TenantNotFound(id);
        }

        JsonBody<RotateKeyRequest> body = await JsonBodyReader.ReadAsync(context, GatewayJsonContext.Default.RotateKeyRequest, optional: true);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        long graceSeconds = body.Value?.GracePeriodSeconds ?? 0;
        long maxSeconds = (long)options.Value.MaxKeyGracePeriod.TotalSeconds;
        if (graceSeconds < 0 || graceSeconds > maxSeconds)
        {
            return ApiResults.InvalidField("gracePeriodSeconds", $"must be from 0 to {maxSeconds}");
        }

        if (!ApiKeys.IsKeyId(keyId))
        {
            return KeyNotFound(id, keyId);
        }

        GeneratedApiKey replacement = ApiKeys.Create(id);
        TimeSpan grace = TimeSpan.FromSeconds(graceSeconds);
        TenantResult result = await grains.GetGrain<ITenantGrain>(id).RotateKeyAsync(keyId, replacement.ToStored(), grace).WaitAsync(context.RequestAborted);
        if (result.Status != TenantStatus.Ok)
        {
            return Failure(result.Status, id, keyId);
        }

        cache.InvalidateKey(id, keyId);
        GatewayApiLog.KeyRotated(loggers.CreateLogger(typeof(ApiKeyAdminEndpoints)), id, keyId, replacement.KeyId, grace);
        return ApiResults.Json(
            new CreatedApiKeyResponse(replacement.KeyId, id, replacement.Prefix, replacement.Key, keyId, time.GetUtcNow() + grace),
            GatewayJsonContext.Default.CreatedApiKeyResponse);
    }

    private static async Task<IResult> RevokeAsync(HttpContext context, string id, string keyId, [FromServices] IGrainFactory grains, [FromServices] ApiKeyCache cache, [FromServices] ILoggerFactory loggers)
    {
        if (!ApiKeys.IsTenantId(id))
        {
            return TenantAdminEndpoints.TenantNotFound(id);
        }

        if (!ApiKeys.IsKeyId(keyId))
        {
            return KeyNotFound(id, keyId);
        }

        TenantResult result = await grains.GetGrain<ITenantGrain>(id).RevokeKeyAsync(keyId).WaitAsync(context.RequestAborted);
        if (result.Status != TenantStatus.Ok)
        {
            return Failure(result.Status, id, keyId);
        }

        cache.InvalidateKey(id, keyId);
        GatewayApiLog.KeyRevoked(loggers.CreateLogger(typeof(ApiKeyAdminEndpoints)), id, keyId);
        return Results.NoContent();
    }

    private static IResult Failure(TenantStatus status, string id, string keyId) => status switch
    {
        TenantStatus.NotFound => TenantAdminEndpoints.TenantNotFound(id),
        TenantStatus.KeyNotFound => KeyNotFound(id, keyId),
        TenantStatus.KeyRevoked => ApiResults.Conflict($"Key '{keyId}' of tenant '{id}' is already revoked."),
        _ => ApiResults.Conflict($"Key '{keyId}' of tenant '{id}' already exists; try again."),
    };

    private static IResult KeyNotFound(string id, string keyId) => ApiResults.NotFound($"Tenant '{id}' has no key with id '{keyId}'.");
}
