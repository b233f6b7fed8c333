using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.GrainInterfaces.Caching;
using Pulse.Runtime;

namespace Pulse.Grains.Caching;

/// <summary>
/// The cache's per-silo companion. Entry grains count their reads here instead of calling their
/// tenant's index on every GET; once a <see cref="CacheOptions.ReportPeriod"/> this service sends each
/// tenant's index one report (hits, misses, last access of the entries read). It re-registers the
/// entries held here when an index reports a new incarnation (it was rebuilt on another silo), sends
/// heartbeats so an index can tell this silo is alive, and sheds entries when the silo is short of memory.
/// </summary>
public sealed partial class CacheSiloActivity(
    IGrainFactory grainFactory,
    ILocalActivations activations,
    IOptions<CacheOptions> options,
    TimeProvider timeProvider,
    ILogger<CacheSiloActivity> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, TenantCacheActivity> _tenants = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _flushLock = new(1, 1);

    /// <summary>Identifies this silo process to the indexes (a restarted silo is a new instance).</summary>
    public string InstanceId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>The settings.</summary>
    public CacheOptions Options => options.Value;

    /// <summary>Bytes of all cache entries held on this silo.</summary>
    public long Bytes => _tenants.Values.Sum(static tenant => tenant.Bytes);

    /// <summary>The activity of one tenant on this silo.</summary>
    public TenantCacheActivity ForTenant(string tenantId) =>
        _tenants.TryGetValue(tenantId, out TenantCacheActivity? activity) ? activity : _tenants.GetOrAdd(tenantId, static (id, instance) => new TenantCacheActivity(id, instance), InstanceId);

    /// <summary>Sends every tenant's pending report now (also runs once a report period).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _flushLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            long now = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            long heartbeatMs = (long)Options.HeartbeatPeriod.TotalMilliseconds;

            // The silo's entries by tenant, gathered on the first re-registration of this flush: a dead
            // silo may have hosted many tenants' indexes, and one walk of the activations serves them all.
            Dictionary<TenantCacheActivity, List<CacheEntryGrain>>? activeByTenant = null;
            foreach (TenantCacheActivity tenant in _tenants.Values)
            {
                (long hits, long misses, CacheTouch[] touches, CacheTouch[] lost) = tenant.Drain();
                int held = tenant.EntryCount;
                bool due = hits != 0 || misses != 0 || touches.Length != 0 || lost.Length != 0
                    || (held > 0 && (tenant.KnownIncarnation == 0 || now - tenant.LastReportUnixMs >= heartbeatMs));
                if (!due)
                {
                    continue;
                }

                try
                {
                    ITenantCacheGrain index = grainFactory.GetGrain<ITenantCacheGrain>(tenant.TenantId);
                    long incarnation = await index.ReportAsync(new CacheActivityReport(InstanceId, tenant.KnownIncarnation, hits, misses, touches, held, lost)).ConfigureAwait(false);
                    tenant.LastReportUnixMs = now;
                    if (incarnation != tenant.KnownIncarnation && held > 0)
                    {
                        // The index is not the one our entries registered with: it lost them, give them back.
                        activeByTenant ??= GroupActiveEntriesByTenant();
                        CacheIndexEntry[] entries = tenant.Snapshot(activeByTenant.GetValueOrDefault(tenant) ?? []);
                        await index.RegisterAsync(InstanceId, entries).ConfigureAwait(false);
                        Log.Reregistered(logger, entries.Length, tenant.TenantId);
                    }

                    tenant.KnownIncarnation = incarnation;
                }
                catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    tenant.Restore(hits, misses, lost);
                    Log.ReportFailed(logger, exception, tenant.TenantId);
                }
            }
        }
        finally
        {
            _flushLock.Release();
        }
    }

    private Dictionary<TenantCacheActivity, List<CacheEntryGrain>> GroupActiveEntriesByTenant()
    {
        var byTenant = new Dictionary<TenantCacheActivity, List<CacheEntryGrain>>(ReferenceEqualityComparer.Instance);
        foreach (CacheEntryGrain entry in activations.GetGrains<CacheEntryGrain>())
        {
            if (!byTenant.TryGetValue(entry.Activity, out List<CacheEntryGrain>? entries))
            {
                byTenant[entry.Activity] = entries = [];
            }

            entries.Add(entry);
        }

        return byTenant;
    }

    /// <summary>Asks the indexes to shed entries held here when the silo is over its cache limit or short of memory.</summary>
    public async Task<long> ShedIfNeededAsync(CancellationToken cancellationToken = default)
    {
        long held = Bytes;
        long excess = ExcessBytes(held);
        if (excess <= 0)
        {
            return 0;
        }

        long freed = 0;
        foreach (TenantCacheActivity tenant in _tenants.Values)
        {
            long share = tenant.Bytes;
            if (share <= 0)
            {
                continue;
            }

            // Each tenant gives back in proportion to what it holds here, in its own eviction order.
            long ask = Math.Max(1, (long)((double)excess * share / held));
            try
            {
                freed += await grainFactory.GetGrain<ITenantCacheGrain>(tenant.TenantId).ShedAsync(InstanceId, ask).ConfigureAwait(false);
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ShedFailed(logger, exception, tenant.TenantId);
            }
        }

        Log.Shed(logger, freed, excess, held);
        return freed;
    }

    private long ExcessBytes(long held)
    {
        long excess = 0;
        if (Options.SiloMaxBytes > 0 && held > Options.SiloMaxBytes)
        {
            // Shed to 90% of the limit so the next writes do not trip it again at once.
            excess = held - (Options.SiloMaxBytes / 10 * 9);
        }

        if (Options.MemoryLoadThreshold > 0 && held > 0)
        {
            GCMemoryInfo info = GC.GetGCMemoryInfo();
            long limit = (long)(info.TotalAvailableMemoryBytes * Options.MemoryLoadThreshold);
            long used = GC.GetTotalMemory(forceFullCollection: false);
            if (used > limit)
            {
                excess = Math.Max(excess, Math.Min(held, used - limit + (held / 10)));
            }
        }

        return excess;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Options.ReportPeriod, timeProvider, stoppingToken).ConfigureAwait(false);
                await FlushAsync(stoppingToken).ConfigureAwait(false);
                await ShedIfNeededAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                Log.LoopFailed(logger, exception);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Could not report cache reads of tenant {TenantId}; they are kept for the next report.")]
        public static partial void ReportFailed(ILogger logger, Exception exception, string tenantId);

        [LoggerMessage(2, LogLevel.Information, "Re-registered {Count} cache entries of tenant {TenantId} with its rebuilt index.")]
        public static partial void Reregistered(ILogger logger, int count, string tenantId);

        [LoggerMessage(3, LogLevel.Warning, "Could not shed cache entries of tenant {TenantId}.")]
        public static partial void ShedFailed(ILogger logger, Exception exception, string tenantId);

        [LoggerMessage(4, LogLevel.Warning, "Cache memory pressure: freed {Freed} bytes of {Excess} asked, {Held} bytes held on this silo.")]
        public static partial void Shed(ILogger logger, long freed, long excess, long held);

        [LoggerMessage(5, LogLevel.Error, "The cache activity loop failed; it continues at the next period.")]
        public static partial void LoopFailed(ILogger logger, Exception exception);
    }
}
