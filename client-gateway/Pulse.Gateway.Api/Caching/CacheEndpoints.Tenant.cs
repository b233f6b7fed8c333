using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Logging;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Caching;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Caching;

// The routes over a tenant's whole cache, answered by its index grain: statistics, maintenance, and
// deletes by pattern or tag.
internal static partial class CacheEndpoints
{
    private static async Task<IResult> GetStatsAsync(HttpContext context, IGrainFactory grains)
    {
        CacheStats stats = await grains.GetGrain<ITenantCacheGrain>(context.GetTenant().TenantId).GetStatsAsync().ConfigureAwait(false);
        return ApiResults.Json(ToResponse(stats, new CacheStatsResponse()), CacheJsonContext.Default.CacheStatsResponse);
    }

    private static async Task<IResult> EvictAsync(HttpContext context, IGrainFactory grains, ILoggerFactory loggers)
    {
        string tenantId = context.GetTenant().TenantId;
        CacheMaintenanceResult result = await grains.GetGrain<ITenantCacheGrain>(tenantId).RunMaintenanceAsync().ConfigureAwait(false);
        GatewayApiLog.CacheMaintenanceRun(loggers.CreateLogger(LogCategory), tenantId, result.Expired, result.Evicted);
        return ApiResults.Json(new CacheMaintenanceResponse { Expired = result.Expired, Evicted = result.Evicted }, CacheJsonContext.Default.CacheMaintenanceResponse);
    }

    // DELETE /api/v1/cache with exactly one of ?key= (one entry: 204/404), ?pattern= or ?tag= (many: 200 with the count).
    private static async Task<IResult> DeleteByQueryAsync(HttpContext context, IGrainFactory grains, ILoggerFactory loggers)
    {
        var errors = new ValidationErrors();
        IQueryCollection query = context.Request.Query;
        string? key = CacheInput.Single(query, "key", errors);
        string? pattern = CacheInput.Single(query, "pattern", errors);
        string? tag = CacheInput.Single(query, "tag", errors);
        int given = (key is null ? 0 : 1) + (pattern is null ? 0 : 1) + (tag is null ? 0 : 1);
        if (errors.HasErrors)
        {
            return errors.ToResult();
        }

        if (given != 1)
        {
            return ApiResults.InvalidField(
                given == 0 ? "pattern" : pattern is not null ? "pattern" : "tag",
                "give exactly one of ?key= (one entry), ?pattern= (a glob such as user:*) or ?tag=");
        }

        if (key is not null)
        {
            return await DeleteAsync(context, key, grains).ConfigureAwait(false);
        }

        if (pattern is not null && CacheGlob.Validate(pattern) is { } patternError)
        {
            return ApiResults.InvalidField("pattern", CacheInput.Phrase(patternError));
        }

        if (tag is not null)
        {
            tag = tag.Trim();
            if (CacheLimits.ValidateTag(tag) is { } tagError)
            {
                return ApiResults.InvalidField("tag", CacheInput.Phrase(tagError));
            }
        }

        string tenantId = context.GetTenant().TenantId;
        long deleted = await grains.GetGrain<ITenantCacheGrain>(tenantId).DeleteMatchingAsync(pattern, tag).ConfigureAwait(false);
        GatewayApiLog.CacheEntriesDeleted(loggers.CreateLogger(LogCategory), tenantId, deleted, pattern is not null ? $"pattern '{pattern}'" : $"tag '{tag}'");
        return ApiResults.Json(new CacheDeleteResponse { Deleted = deleted }, CacheJsonContext.Default.CacheDeleteResponse);
    }

    /// <summary>Copies grain statistics into a response (or a subclass of one).</summary>
    public static T ToResponse<T>(CacheStats stats, T response)
        where T : CacheStatsResponse
    {
        response.Entries = stats.Entries;
        response.Bytes = stats.Bytes;
        response.Hits = stats.Hits;
        response.Misses = stats.Misses;
        response.HitRate = stats.HitRate;
        response.Evictions = stats.Evictions;
        response.Expirations = stats.Expirations;
        response.QuotaBytes = stats.QuotaBytes;
        response.DurableEntries = stats.DurableEntries;
        response.ExpiredEntries = stats.ExpiredEntries;
        return response;
    }
}
