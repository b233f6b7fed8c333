using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Json;
using Pulse.Gateway.Api.Logging;
using Pulse.Gateway.Api.Problems;
using Pulse.Gateway.Api.Security;
using Pulse.GrainInterfaces.Caching;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Caching;

/// <summary>
/// The salesmate "Performance &amp; Scale" cache routes under <c>/api/performance/cache</c>, over the same
/// grains as <c>/api/v1/cache</c>: answers are <c>{"success": true, ...}</c>, a miss is
/// <c>404 {"success": false, "error": "Cache miss"}</c>, invalid input is a problem document as elsewhere.
/// </summary>
internal static class CacheLegacyEndpoints
{
    private const string Tag = "Compatibility";

    public static void Map(RouteGroupBuilder performance, CacheApiOptions options)
    {
        performance.MapGet("/cache/stats", StatsAsync).WithName("LegacyCacheStats").WithTags(Tag).Produces<LegacyCacheStatsResponse>();
        performance.MapPost("/cache/evict", EvictAsync).WithName("LegacyCacheEvict").WithTags(Tag).Produces<LegacyCacheEvictResponse>();
        performance.MapGet("/cache/{**key}", GetAsync)
            .WithName("LegacyCacheGet").WithTags(Tag)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces<LegacyCacheError>(StatusCodes.Status404NotFound)
            .WithMetadata(TenantApiRouteExtensions.Problem(400));
        performance.MapPost("/cache", SetAsync)
            .WithName("LegacyCacheSet").WithTags(Tag)
            .WithRequestBodyLimit(options.MaxValueBytes + CacheApiOptions.EnvelopeBytes, "The cache write body")
            .Accepts<LegacyCacheSetRequest>("application/json")
            .Produces<LegacyCacheSetResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400), TenantApiRouteExtensions.Problem(413), TenantApiRouteExtensions.Problem(507));
        performance.MapDelete("/cache/{**keyOrPattern}", DeleteAsync)
            .WithName("LegacyCacheDelete").WithTags(Tag)
            .Produces<LegacyCacheDeleteResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400));
    }

    private static async Task<IResult> StatsAsync(HttpContext context, IGrainFactory grains)
    {
        CacheStats stats = await grains.GetGrain<ITenantCacheGrain>(context.GetTenant().TenantId).GetStatsAsync().ConfigureAwait(false);
        return ApiResults.Json(
            new LegacyCacheStatsResponse
            {
                Memory = new LegacyCacheMemoryStats
                {
                    Entries = stats.Entries,
                    Hits = stats.Hits,
                    Misses = stats.Misses,
                    HitRate = (stats.HitRate * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%",
                },
                Database = new LegacyCacheDatabaseStats { TotalEntries = stats.DurableEntries, ExpiredEntries = stats.ExpiredEntries },
            },
            CacheJsonContext.Default.LegacyCacheStatsResponse);
    }

    private static async Task<IResult> EvictAsync(HttpContext context, IGrainFactory grains, ILoggerFactory loggers)
    {
        string tenantId = context.GetTenant().TenantId;
        CacheMaintenanceResult result = await grains.GetGrain<ITenantCacheGrain>(tenantId).RunMaintenanceAsync().ConfigureAwait(false);
        GatewayApiLog.CacheMaintenanceRun(loggers.CreateLogger(CacheEndpoints.LogCategory), tenantId, result.Expired, result.Evicted);
        return ApiResults.Json(new LegacyCacheEvictResponse { Expired = result.Expired, Evicted = result.Evicted }, CacheJsonContext.Default.LegacyCacheEvictResponse);
    }

    private static async Task<IResult> GetAsync(HttpContext context, string key, IGrainFactory grains)
    {
        if (CacheLimits.ValidateKey(key) is { } keyError)
        {
            return ApiResults.InvalidField("key", CacheInput.Phrase(keyError));
        }

        CacheGetResult result = await CacheEndpoints.Entry(grains, context.GetTenant().TenantId, key).GetAsync(0).ConfigureAwait(false);
        if (result.Value is null)
        {
            context.Response.Headers[CacheHttp.XCache] = "MISS";
            return ApiResults.Json(new LegacyCacheError { Error = "Cache miss" }, CacheJsonContext.Default.LegacyCacheError, StatusCodes.Status404NotFound);
        }

        context.Response.Headers[CacheHttp.XCache] = result.Lookup == CacheLookup.Stale ? "STALE" : "HIT";

        // The value goes into the envelope as stored, without a parse and a re-serialization.
        var buffer = new ArrayBufferWriter<byte>(result.Value.Length + key.Length + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("success", true);
            writer.WriteString("key", key);
            writer.WritePropertyName("value");
            writer.WriteRawValue(result.Value, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return CacheHttp.RawJson(buffer.WrittenSpan.ToArray());
    }

    private static async Task<IResult> SetAsync(HttpContext context, IGrainFactory grains, IOptions<CacheApiOptions> options)
    {
        JsonBody<LegacyCacheSetRequest> body = await JsonBodyReader.ReadAsync(context, CacheJsonContext.Default.LegacyCacheSetRequest).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        LegacyCacheSetRequest request = body.Value!;
        var errors = new ValidationErrors();
        CacheInput.Key("key", request.Key, errors);

        // A ttl of 0 means no expiry here, as in the in-process Node caches such services wrap (node-cache);
        // the v1 API refuses 0 instead, so that a computed ttl of 0 is not silently "forever".
        long? ttl = request.Ttl.ValueKind == JsonValueKind.Number && request.Ttl.TryGetDecimal(out decimal seconds) && seconds == 0
            ? null
            : CacheInput.JsonDuration("ttl", request.Ttl, stale: false, errors);
        if (request.Value.ValueKind == JsonValueKind.Undefined)
        {
            errors.Add("value", "is required (any JSON value, null included)");
        }

        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(request.Value);
        if (raw.Length > options.Value.MaxValueBytes)
        {
            return CacheEndpoints.ValueTooLarge(options.Value, "value");
        }

        var put = new CachePut(raw.ToArray(), CacheEntryOptions.Default with { TtlMs = ttl ?? 0 });
        CachePutResult result = await CacheEndpoints.Entry(grains, context.GetTenant().TenantId, request.Key!).PutAsync(put).ConfigureAwait(false);
        if (result.Status is not (CachePutStatus.Created or CachePutStatus.Replaced))
        {
            return CacheEndpoints.Written(context, request.Key!, result);
        }

        return ApiResults.Json(
            new LegacyCacheSetResponse { Key = request.Key!, ETag = result.ETag ?? string.Empty, Created = result.Status == CachePutStatus.Created },
            CacheJsonContext.Default.LegacyCacheSetResponse);
    }

    // A '*' makes the path a glob pattern (salesmate's "invalidate by pattern"); otherwise it is one key.
    private static async Task<IResult> DeleteAsync(HttpContext context, string keyOrPattern, IGrainFactory grains, ILoggerFactory loggers)
    {
        string tenantId = context.GetTenant().TenantId;
        long deleted;
        if (keyOrPattern.Contains('*', StringComparison.Ordinal))
        {
            if (CacheGlob.Validate(keyOrPattern) is { } patternError)
            {
                return ApiResults.InvalidField("pattern", CacheInput.Phrase(patternError));
            }

            deleted = await grains.GetGrain<ITenantCacheGrain>(tenantId).DeleteMatchingAsync(keyOrPattern, null).ConfigureAwait(false);
            GatewayApiLog.CacheEntriesDeleted(loggers.CreateLogger(CacheEndpoints.LogCategory), tenantId, deleted, $"pattern '{keyOrPattern}'");
        }
        else
        {
            if (CacheLimits.ValidateKey(keyOrPattern) is { } keyError)
            {
                return ApiResults.InvalidField("key", CacheInput.Phrase(keyError));
            }

            deleted = await CacheEndpoints.Entry(grains, tenantId, keyOrPattern).DeleteAsync().ConfigureAwait(false) ? 1 : 0;
        }

        return ApiResults.Json(new LegacyCacheDeleteResponse { Deleted = deleted }, CacheJsonContext.Default.LegacyCacheDeleteResponse);
    }
}
