using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Pagination;
using Pulse.Gateway.Api.Problems;
using Pulse.GrainInterfaces.Caching;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;

namespace Pulse.Gateway.Api.Caching;

/// <summary><c>GET /api/v1/admin/cache/stats</c>: the cache statistics of every tenant, summed, and a page of them one by one.</summary>
internal static class CacheAdminEndpoints
{
    // Tenants read from the directory per call, and index grains asked at once: bounded, so one admin
    // request over many tenants does not flood the cluster.
    private const int DirectoryPageSize = 1000;
    private const int StatsConcurrency = 32;

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/cache/stats", GetStatsAsync)
            .WithName("GetClusterCacheStats")
            .WithTags("Cache (admin)")
            .Produces<CacheClusterStatsResponse>()
            .WithMetadata(TenantApiRouteExtensions.Problem(400));
    }

    private static async Task<IResult> GetStatsAsync(HttpContext context, IGrainFactory grains)
    {
        if (!PageRequest.TryRead(context, out PageRequest page, out IResult? problem))
        {
            return problem!;
        }

        if (!page.TryGetNumber(out long pageAfter))
        {
            return PageRequest.InvalidCursor();
        }

        // Totals need every tenant; the page is the slice after the cursor, in the directory's order.
        var response = new CacheClusterStatsResponse();
        CacheTotalsResponse totals = response.Totals;
        ITenantDirectoryGrain directory = grains.GetGrain<ITenantDirectoryGrain>(TenantDirectory.Key);
        long after = 0;
        bool more = false;
        long lastListed = 0;
        while (true)
        {
            TenantDirectoryPage tenants = await directory.ListAsync(after, DirectoryPageSize).WaitAsync(context.RequestAborted).ConfigureAwait(false);
            var stats = new CacheStats[tenants.Items.Count];
            await Parallel.ForEachAsync(
                Enumerable.Range(0, stats.Length),
                new ParallelOptions { MaxDegreeOfParallelism = StatsConcurrency, CancellationToken = context.RequestAborted },
                async (i, _) => stats[i] = await grains.GetGrain<ITenantCacheGrain>(tenants.Items[i].Id).GetStatsAsync().ConfigureAwait(false)).ConfigureAwait(false);

            for (int i = 0; i < stats.Length; i++)
            {
                TenantDirectoryEntry tenant = tenants.Items[i];
                Add(totals, stats[i]);
                if (tenant.Sequence <= pageAfter)
                {
                    continue;
                }

                if (response.Items.Count < page.Limit)
                {
                    response.Items.Add(CacheEndpoints.ToResponse(stats[i], new TenantCacheStatsResponse { TenantId = tenant.Id, Name = tenant.Name }));
                    lastListed = tenant.Sequence;
                }
                else
                {
                    more = true;
                }
            }

            if (!tenants.HasMore || tenants.Items.Count == 0)
            {
                break;
            }

            after = tenants.Items[^1].Sequence;
        }

        long reads = totals.Hits + totals.Misses;
        totals.HitRate = reads == 0 ? 0 : (double)totals.Hits / reads;
        response.NextCursor = more ? PageCursor.EncodeNumber(lastListed) : null;
        return ApiResults.Json(response, CacheJsonContext.Default.CacheClusterStatsResponse);
    }

    private static void Add(CacheTotalsResponse totals, CacheStats stats)
    {
        totals.Tenants++;
        totals.Entries += stats.Entries;
        totals.Bytes += stats.Bytes;
        totals.Hits += stats.Hits;
        totals.Misses += stats.Misses;
        totals.Evictions += stats.Evictions;
        totals.Expirations += stats.Expirations;
        totals.QuotaBytes += stats.QuotaBytes;
        totals.DurableEntries += stats.DurableEntries;
        totals.ExpiredEntries += stats.ExpiredEntries;
    }
}
