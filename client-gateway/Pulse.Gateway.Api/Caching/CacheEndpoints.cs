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
/// The <c>/api/v1/cache</c> routes. An entry is addressed by path (<c>/api/v1/cache/{key}</c>, slashes
/// allowed) or, for any key at all, by query (<c>/api/v1/cache?key=</c>): the path form cannot reach a key
/// the routes below shadow (<c>GET stats</c>), nor keys that URL normalisation changes (<c>a/../b</c>, a
/// leading or doubled slash, a trailing dot segment).
/// </summary>
internal static partial class CacheEndpoints
{
    private const string Tag = "Cache";

    /// <summary>The logger category of the cache API.</summary>
    public const string LogCategory = "Pulse.Gateway.Api.Caching";

    public static void Map(RouteGroupBuilder cache, CacheApiOptions options)
    {
        // Literal routes outrank the {**key} catch-all, so GET /stats is the statistics (a key named "stats"
        // is read with ?key=stats). The POST routes shadow nothing: keys are never POSTed to.
        cache.MapGet("/stats", GetStatsAsync).WithName("GetCacheStats").WithTags(Tag).Produces<CacheStatsResponse>();
        cache.MapPost("/evict", EvictAsync).WithName("EvictCache").WithTags(Tag).Produces<CacheMaintenanceResponse>();
        cache.MapPost("/mget", MgetAsync)
            .WithName("GetCacheEntries").WithTags(Tag)
            .WithRequestBodyLimit(options.MaxBatchBodyBytes, "The mget body")
            .Accepts<CacheMgetRequest>("application/json")
            .Produces<CacheMgetResponse>()
            .WithMetadata(Problem(400), Problem(413), Problem(415));
        cache.MapPost("/mset", MsetAsync)
            .WithName("SetCacheEntries").WithTags(Tag)
            .WithRequestBodyLimit(options.MaxBatchBodyBytes, "The mset body")
            .Accepts<CacheMsetRequest>("application/json")
            .Produces<CacheMsetResponse>()
            .WithMetadata(Problem(400), Problem(413), Problem(415));

        cache.MapGet("/{**key}", (HttpContext context, string key, IGrainFactory grains, IOptions<CacheApiOptions> o) => GetAsync(context, key, grains, o.Value))
            .WithName("GetCacheEntry").WithTags(Tag)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .WithMetadata(Problem(400), Problem(404));
        cache.MapPut("/{**key}", (HttpContext context, string key, IGrainFactory grains, IOptions<CacheApiOptions> o, ILoggerFactory loggers) => PutAsync(context, key, grains, o.Value, loggers))
            .WithName("PutCacheEntry").WithTags(Tag)
            .WithRequestBodyLimit(options.MaxValueBytes, "The cache value")
            .Produces<CachePutResponse>(StatusCodes.Status201Created)
            .Produces<CachePutResponse>()
            .WithMetadata(Problem(400), Problem(409), Problem(412), Problem(413), Problem(415), Problem(507));
        cache.MapDelete("/{**key}", (HttpContext context, string key, IGrainFactory grains) => DeleteAsync(context, key, grains))
            .WithName("DeleteCacheEntry").WithTags(Tag)
            .Produces(StatusCodes.Status204NoContent)
            .WithMetadata(Problem(400), Problem(404));

        // The query forms. DELETE also takes ?pattern= or ?tag= to delete many.
        cache.MapGet("/", (HttpContext context, IGrainFactory grains, IOptions<CacheApiOptions> o) => GetAsync(context, KeyFromQuery(context), grains, o.Value))
            .WithName("GetCacheEntryByQuery").WithTags(Tag)
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .WithMetadata(Problem(400), Problem(404));
        cache.MapPut("/", (HttpContext context, IGrainFactory grains, IOptions<CacheApiOptions> o, ILoggerFactory loggers) => PutAsync(context, KeyFromQuery(context), grains, o.Value, loggers))
            .WithName("PutCacheEntryByQuery").WithTags(Tag)
            .WithRequestBodyLimit(options.MaxValueBytes, "The cache value")
            .Produces<CachePutResponse>(StatusCodes.Status201Created)
            .Produces<CachePutResponse>()
            .WithMetadata(Problem(400), Problem(409), Problem(412), Problem(413), Problem(415), Problem(507));
        cache.MapDelete("/", DeleteByQueryAsync)
            .WithName("DeleteCacheEntries").WithTags(Tag)
            .Produces<CacheDeleteResponse>()
            .Produces(StatusCodes.Status204NoContent)
            .WithMetadata(Problem(400), Problem(404));
    }

    /// <summary>The entry grain of a tenant's key.</summary>
    public static ICacheEntryGrain Entry(IGrainFactory grains, string tenantId, string key) =>
        grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(tenantId, key));

    private static async Task<IResult> GetAsync(HttpContext context, string? key, IGrainFactory grains, CacheApiOptions options)
    {
        var errors = new ValidationErrors();
        CacheInput.Key("key", key, errors);
        long leaseMs = ReadLease(context.Request.Query, options, errors);
        long waitMs = ReadWait(context.Request.Query, options, errors);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        ICacheEntryGrain entry = Entry(grains, context.GetTenant().TenantId, key!);
        CacheGetResult result = await entry.GetAsync(leaseMs).ConfigureAwait(false);

        // Another caller holds the lease and is computing the value: wait for its write (or the lease's end,
        // when this caller may be granted the lease in turn) instead of stampeding the origin.
        if (result.Value is null && result.LeaseToken is null && result.LeaseHeldMs > 0 && waitMs > 0)
        {
            result = await entry.WaitAsync(waitMs, leaseMs).ConfigureAwait(false);
        }

        HttpResponse response = context.Response;
        if (result.LeaseToken is not null)
        {
            response.Headers[CacheHttp.LeaseToken] = result.LeaseToken;
        }

        if (result.Value is null || result.ETag is null)
        {
            response.Headers[CacheHttp.XCache] = "MISS";
            return ApiResults.NotFound(result.LeaseToken is null
                ? $"No cache entry with key '{key}'."
                : $"No cache entry with key '{key}'; this caller holds the lease (Lease-Token) to write it.");
        }

        CacheHttp.WriteEntryHeaders(response, result);
        return CacheHttp.ClientHasCurrent(context.Request, result.ETag) ? CacheHttp.NotModified() : CacheHttp.RawJson(result.Value);
    }

    private static async Task<IResult> PutAsync(HttpContext context, string? key, IGrainFactory grains, CacheApiOptions options, ILoggerFactory loggers)
    {
        var errors = new ValidationErrors();
        CacheInput.Key("key", key, errors);
        CacheEntryOptions? entryOptions = CacheInput.FromQuery(context.Request.Query, errors);
        CacheWriteConditions conditions = CacheHttp.ReadConditions(context.Request, errors);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        RawJsonBody body = await JsonBodyReader.ReadBytesAsync(context).ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return body.Problem;
        }

        byte[] value = body.Bytes!;
        if (value.Length > options.MaxValueBytes)
        {
            // The endpoint's body limit is the same number; this holds if a framework limit ever differs.
            return ValueTooLarge(options);
        }

        if (CacheInput.ValidateValue(value) is { } invalid)
        {
            return ApiResults.Problem(StatusCodes.Status400BadRequest, $"The request body must be exactly one JSON value: {invalid}.");
        }

        if (conditions.NeverHolds)
        {
            return ApiResults.Problem(StatusCodes.Status412PreconditionFailed, "The If-Match condition cannot hold (a weak ETag, or together with If-None-Match: *); nothing was written.");
        }

        string tenantId = context.GetTenant().TenantId;
        CachePutResult result = await Entry(grains, tenantId, key!)
            .PutAsync(new CachePut(value, entryOptions!, conditions.IfMatch, conditions.IfNoneMatch, conditions.LeaseToken))
            .ConfigureAwait(false);
        if (result.Status == CachePutStatus.LeaseLost)
        {
            GatewayApiLog.CacheLeaseLost(loggers.CreateLogger(LogCategory), tenantId);
        }

        return Written(context, key!, result);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string? key, IGrainFactory grains)
    {
        var errors = new ValidationErrors();
        CacheInput.Key("key", key, errors);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        bool deleted = await Entry(grains, context.GetTenant().TenantId, key!).DeleteAsync().ConfigureAwait(false);
        return deleted ? Results.NoContent() : ApiResults.NotFound($"No cache entry with key '{key}'.");
    }

    /// <summary>The answer to a write: 201/200 with the ETag, or the problem its status means.</summary>
    public static IResult Written(HttpContext context, string key, CachePutResult result)
    {
        if (result.ETag is not null)
        {
            context.Response.Headers.ETag = CacheHttp.Quote(result.ETag);
        }

        switch (result.Status)
        {
            case CachePutStatus.Created or CachePutStatus.Replaced:
                bool created = result.Status == CachePutStatus.Created;
                return ApiResults.Json(
                    new CachePutResponse { Key = key, ETag = result.ETag ?? string.Empty, Created = created },
                    CacheJsonContext.Default.CachePutResponse,
                    created ? StatusCodes.Status201Created : StatusCodes.Status200OK,
                    created ? Location(key) : null);
            case CachePutStatus.PreconditionFailed:
                return ApiResults.Problem(StatusCodes.Status412PreconditionFailed, result.ETag is null
                    ? $"The precondition failed: there is no cache entry with key '{key}'; nothing was written."
                    : $"The precondition failed: the entry's ETag is \"{result.ETag}\"; nothing was written.");
            case CachePutStatus.InsufficientStorage:
                return ApiResults.Problem(StatusCodes.Status507InsufficientStorage, "The tenant's cache quota is full of entries that may not be evicted; nothing was written.");
            case CachePutStatus.LeaseLost:
                return ApiResults.Conflict("The Lease-Token is not the entry's current lease (it expired or another caller took over); nothing was written.");
            default:
                throw new InvalidOperationException($"Unknown cache write status {result.Status}.");
        }
    }

    /// <summary>
    /// Where an entry is read: the path form when the key survives URL normalisation and is not shadowed
    /// by a route, the query form otherwise.
    /// </summary>
    public static string Location(string key)
    {
        bool pathSafe = key != "stats" && key[0] != '/' && key[^1] != '/' && !key.Contains("//", StringComparison.Ordinal);
        string[] segments = key.Split('/');
        for (int i = 0; pathSafe && i < segments.Length; i++)
        {
            pathSafe = segments[i] is not ("." or "..");
            segments[i] = Uri.EscapeDataString(segments[i]);
        }

        return pathSafe
            ? string.Concat(TenantApiRouteExtensions.TenantPrefix, "/cache/", string.Join('/', segments))
            : string.Concat(TenantApiRouteExtensions.TenantPrefix, "/cache?key=", Uri.EscapeDataString(key));
    }

    /// <summary>413 for a value over <see cref="CacheApiOptions.MaxValueBytes"/>.</summary>
    public static IResult ValueTooLarge(CacheApiOptions options, string? field = null)
    {
        string detail = $"The cache value exceeds the limit of {options.MaxValueBytes} bytes.";
        return field is null
            ? ApiResults.Problem(StatusCodes.Status413PayloadTooLarge, detail)
            : ApiResults.Problem(
                StatusCodes.Status413PayloadTooLarge,
                $"Invalid field '{field}': {detail.TrimEnd('.')}.",
                new ValidationErrors().Add(field, $"must be at most {options.MaxValueBytes} bytes").ToDictionary());
    }

    private static string? KeyFromQuery(HttpContext context)
    {
        // A missing ?key= is reported like an empty key: the same 400 naming 'key'.
        var ignored = new ValidationErrors();
        return CacheInput.Single(context.Request.Query, "key", ignored) ?? (ignored.HasErrors ? null : string.Empty);
    }

    private static long ReadLease(IQueryCollection query, CacheApiOptions options, ValidationErrors errors)
    {
        if (CacheInput.Single(query, "lease", errors) is not { } text)
        {
            return 0;
        }

        long maxMs = (long)options.MaxLease.TotalMilliseconds;
        if (!CacheDuration.TryParse(text, out long ms, out string? error))
        {
            errors.Add("lease", error);
        }
        else if (ms < 1000 || ms > maxMs)
        {
            errors.Add("lease", $"must be from 1 to {maxMs / 1000} seconds");
        }

        return ms;
    }

    private static long ReadWait(IQueryCollection query, CacheApiOptions options, ValidationErrors errors)
    {
        if (CacheInput.Single(query, "wait", errors) is not { } text)
        {
            return 0;
        }

        if (!CacheDuration.TryParse(text, out long ms, out string? error))
        {
            errors.Add("wait", error);
            return 0;
        }

        // A longer wait is cut to the longest allowed rather than refused: the caller just waits less.
        return Math.Min(ms, (long)options.MaxWait.TotalMilliseconds);
    }

    private static ProducesResponseTypeMetadata Problem(int status) => TenantApiRouteExtensions.Problem(status);
}
