using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pulse.GrainInterfaces.Caching;
using Pulse.GrainInterfaces.Tenants;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.Caching;

/// <summary>
/// A tenant's cache index (see <see cref="ITenantCacheGrain"/>). The index itself lives in memory: after
/// this grain moves, silos re-register the entries they hold (they notice the new incarnation in their
/// next report) and durable entries are listed from the store. Counters are stored.
/// </summary>
public sealed partial class TenantCacheGrain(
    [PersistentState("stats")] IPersistentState<TenantCacheStatsState> stats,
    IOptions<CacheOptions> options,
    ILogger<TenantCacheGrain> logger) : Grain, ITenantCacheGrain
{
    // Stats are written at most this often besides deactivation (reads change them constantly).
    private static readonly TimeSpan StatsWritePeriod = TimeSpan.FromMinutes(1);

    // The silo slot of durable entries listed from the store and not (yet) active anywhere.
    private const int StoreSlot = -1;

    private static readonly GrainType EntryGrainType = new("cache.entry");

    private readonly CacheIndex _index = new();
    private readonly List<SiloSlot> _silos = [];
    private readonly long _incarnation = RandomNumberGenerator.GetInt32(1, int.MaxValue) * 4_294_967_296L + RandomNumberGenerator.GetInt32(int.MaxValue);
    private long _quotaBytes;
    private long _statsWrittenAt;

    private CacheOptions Options => options.Value;

    private long NowMs => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private string TenantId => GetPrimaryKeyString();

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _quotaBytes = Options.DefaultQuotaBytes;
        TenantResult tenant = await GrainFactory.GetGrain<ITenantGrain>(TenantId).GetAsync();
        if (tenant.Tenant is { CacheQuotaBytes: > 0 } profile)
        {
            _quotaBytes = profile.CacheQuotaBytes;
        }

        _statsWrittenAt = NowMs;
        await LoadDurableEntriesAsync(cancellationToken);
        RegisterGrainTimer(SweepAsync, Options.SweepPeriod, Options.SweepPeriod);
    }

    // Durable entries outlive this index (a killed silo, a restarted cluster): list them from the store.
    // Memory-only entries come back when their silos notice this new incarnation and re-register them.
    private async Task LoadDurableEntriesAsync(CancellationToken cancellationToken)
    {
        if (GrainStorageQueries.Find(ServiceProvider) is not { } query)
        {
            return;
        }

        int loaded = 0;
        string prefix = CacheKeys.Entry(TenantId, string.Empty);
        await foreach (StoredGrainState<CacheEntryState> stored in query.QueryAsync<CacheEntryState>(CacheEntryGrain.StateName, EntryGrainType, prefix, cancellationToken))
        {
            CacheEntryState state = stored.State;
            if (state.Value is null)
            {
                continue;
            }

            string key = CacheKeys.Split(stored.GrainId.Key).CacheKey;
            string[] tags = state.Tags ?? [];
            var entry = new CacheIndexEntry(
                key, state.Version, CacheLimits.ChargedBytes(key, state.Value.Length, tags), state.Priority, tags,
                state.ExpiresAtUnixMs, state.StaleMs, Durable: true, state.WrittenAtUnixMs, SiloInstance: string.Empty);
            _index.Upsert(entry, StoreSlot);
            loaded++;
        }

        if (loaded > 0)
        {
            Log.LoadedDurable(logger, TenantId, loaded);
        }
    }

    /// <inheritdoc />
    public ValueTask<CacheAdmission> AdmitAsync(CacheIndexEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        long now = NowMs;
        int slot = SlotOf(entry.SiloInstance, now);
        long delta = entry.SizeBytes - (_index.Find(entry.Key)?.SizeBytes ?? 0);
        long over = _index.Bytes + delta - _quotaBytes;
        int evicted = 0;
        if (over > 0)
        {
            List<CacheIndexRecord>? victims = entry.SizeBytes > _quotaBytes ? null : _index.SelectVictims(over, now, entry.Key);
            if (victims is null)
            {
                Log.Refused(logger, TenantId, entry.SizeBytes, _index.Bytes, _quotaBytes);
                return ValueTask.FromResult(new CacheAdmission(false, 0, _quotaBytes, _incarnation));
            }

            Evict(victims, now, CacheRemovalReason.Evicted);
            evicted = victims.Count;
        }

        _index.Upsert(entry, slot);
        return ValueTask.FromResult(new CacheAdmission(true, evicted, _quotaBytes, _incarnation));
    }

    /// <inheritdoc />
    public ValueTask RemovedAsync(string key, long version, CacheRemovalReason reason)
    {
        if (_index.Remove(key, version) is not null && reason == CacheRemovalReason.Expired)
        {
            stats.State.Expirations++;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<long> ReportAsync(CacheActivityReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        int slot = SlotOf(report.SiloInstance, NowMs);
        stats.State.Hits += report.Hits;
        stats.State.Misses += report.Misses;
        foreach (CacheTouch touch in report.Touches)
        {
            _index.Touch(touch);
        }

        foreach (CacheTouch lost in report.Lost ?? [])
        {
            _index.Remove(lost.Key, lost.Version);
        }

        // A silo re-registers its entries when the answer differs from the incarnation it knows; a silo
        // whose entries this index forgot (it fell silent) gets 0 until it has registered again.
        return ValueTask.FromResult(_silos[slot].Forgotten ? 0 : _incarnation);
    }

    /// <inheritdoc />
    public ValueTask RegisterAsync(string siloInstance, CacheIndexEntry[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        int slot = SlotOf(siloInstance, NowMs);
        foreach (CacheIndexEntry entry in entries)
        {
            _index.Upsert(entry, slot);
        }

        _silos[slot].Forgotten = false;
        Log.Registered(logger, TenantId, entries.Length, siloInstance);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<long> DeleteMatchingAsync(string? pattern, string? tag)
    {
        if ((pattern is null) == (tag is null))
        {
            throw new ArgumentException("Give exactly one of a pattern or a tag.");
        }

        List<CacheIndexRecord> matches;
        if (tag is not null)
        {
            matches = [.. _index.WithTag(tag).Select(_index.Find).OfType<CacheIndexRecord>()];
        }
        else
        {
            if (CacheGlob.Validate(pattern) is { } error)
            {
                throw new ArgumentException(error, nameof(pattern));
            }

            if (!CacheGlob.IsLiteral(pattern!))
            {
                matches = [.. _index.Records.Where(record => CacheGlob.IsMatch(pattern, record.Key))];
            }
            else
            {
                matches = _index.Find(pattern!) is { } record ? [record] : [];
            }
        }

        foreach (CacheIndexRecord record in matches)
        {
            _index.Remove(record.Key, record.Version);
        }

        // Awaited, so a read after the answer finds every matched key gone.
        CacheEvictResult[] results = await Task.WhenAll(matches.Select(record => EvictEntryAsync(record, CacheRemovalReason.Deleted)));
        return results.Count(static result => result.Removed);
    }

    /// <inheritdoc />
    public ValueTask<CacheStats> GetStatsAsync()
    {
        TenantCacheStatsState counters = stats.State;
        return ValueTask.FromResult(new CacheStats(
            _index.Count, _index.Bytes, counters.Hits, counters.Misses, counters.Evictions, counters.Expirations, _quotaBytes, _index.DurableCount, _index.CountPastGrace(NowMs)));
    }

    /// <inheritdoc />
    public async ValueTask<CacheMaintenanceResult> RunMaintenanceAsync()
    {
        long expired = await ReclaimExpiredAsync(int.MaxValue);
        long evicted = EvictToQuota();
        return new CacheMaintenanceResult(expired, evicted);
    }

    /// <inheritdoc />
    public ValueTask SetQuotaAsync(long quotaBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(quotaBytes);
        _quotaBytes = quotaBytes > 0 ? quotaBytes : Options.DefaultQuotaBytes;
        EvictToQuota();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<long> ShedAsync(string siloInstance, long bytes)
    {
        long now = NowMs;
        int slot = SlotOf(siloInstance, now);
        List<CacheIndexRecord> victims = _index.SelectVictims(bytes, now, exceptKey: null, record => record.SiloSlot == slot, bestEffort: true)!;
        long freed = 0;
        foreach (CacheIndexRecord victim in victims)
        {
            freed += victim.SizeBytes;
            if (victim.Durable)
            {
                // Durable entries only leave memory: they stay indexed and in the store.
                _ = EvictEntryAsync(victim, CacheRemovalReason.MemoryPressure);
            }
            else
            {
                _index.Remove(victim.Key, victim.Version);
                stats.State.Evictions++;
                _ = EvictEntryAsync(victim, CacheRemovalReason.MemoryPressure);
            }
        }

        return ValueTask.FromResult(freed);
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await stats.WriteStateAsync(cancellationToken);
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        long now = NowMs;
        await ReclaimExpiredAsync(10_000);
        ForgetSilentSilos(now);
        EvictToQuota();
        if (now - _statsWrittenAt >= StatsWritePeriod.TotalMilliseconds)
        {
            _statsWrittenAt = now;
            await stats.WriteStateAsync(cancellationToken);
        }
    }

    // Asks each expired entry to go; one whose sliding expiry moved stays with its new expiry.
    private async Task<long> ReclaimExpiredAsync(int max)
    {
        List<CacheIndexRecord> expired = _index.PastGrace(NowMs, max);
        if (expired.Count == 0)
        {
            return 0;
        }

        CacheEvictResult[] results = await Task.WhenAll(expired.Select(record => EvictEntryAsync(record, CacheRemovalReason.Expired)));
        long reclaimed = 0;
        for (int i = 0; i < expired.Count; i++)
        {
            CacheIndexRecord record = expired[i];
            CacheEvictResult result = results[i];
            if (_index.Find(record.Key) != record)
            {
                continue;
            }

            if (result.Removed || result.Version != record.Version)
            {
                // Gone (or replaced: the newer write admits itself separately).
                _index.Remove(record.Key, record.Version);
                stats.State.Expirations++;
                reclaimed++;
            }
            else
            {
                _index.SetExpiry(record, result.ExpiresAtUnixMs);
            }
        }

        return reclaimed;
    }

    private long EvictToQuota()
    {
        long over = _index.Bytes - _quotaBytes;
        if (over <= 0)
        {
            return 0;
        }

        long now = NowMs;
        List<CacheIndexRecord> victims = _index.SelectVictims(over, now, exceptKey: null, bestEffort: true)!;
        Evict(victims, now, CacheRemovalReason.Evicted);
        return victims.Count;
    }

    private void Evict(List<CacheIndexRecord> victims, long now, CacheRemovalReason reason)
    {
        foreach (CacheIndexRecord victim in victims)
        {
            _index.Remove(victim.Key, victim.Version);
            if (victim.ExpiresAtUnixMs != 0 && victim.ExpiresAtUnixMs <= now)
            {
                stats.State.Expirations++;
            }
            else
            {
                stats.State.Evictions++;
            }

            // Not awaited: the index is already right, and waiting on a silo that may be failing
            // would stall every write of the tenant. The entry checks the version, so a late
            // message never removes a newer write.
            _ = EvictEntryAsync(victim, reason);
        }
    }

    private async Task<CacheEvictResult> EvictEntryAsync(CacheIndexRecord record, CacheRemovalReason reason)
    {
        try
        {
            return await GrainFactory.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(TenantId, record.Key)).EvictAsync(record.Version, reason);
        }
        catch (Exception exception)
        {
            Log.EvictFailed(logger, exception, TenantId, record.Key.Length);
            return new CacheEvictResult(false, record.Version, record.ExpiresAtUnixMs);
        }
    }

    private void ForgetSilentSilos(long now)
    {
        long silence = 3 * (long)Options.HeartbeatPeriod.TotalMilliseconds;
        for (int slot = 0; slot < _silos.Count; slot++)
        {
            SiloSlot silo = _silos[slot];
            if (silo.Forgotten || now - silo.LastSeenUnixMs < silence)
            {
                continue;
            }

            // Memory-only entries of a silo that fell silent died with it (or will re-register).
            List<CacheIndexRecord> lost = [.. _index.Records.Where(record => record.SiloSlot == slot && !record.Durable)];
            foreach (CacheIndexRecord record in lost)
            {
                _index.Remove(record.Key, record.Version);
            }

            silo.Forgotten = true;
            Log.ForgotSilo(logger, TenantId, silo.Instance, lost.Count);
        }
    }

    private int SlotOf(string siloInstance, long now)
    {
        for (int i = 0; i < _silos.Count; i++)
        {
            if (string.Equals(_silos[i].Instance, siloInstance, StringComparison.Ordinal))
            {
                _silos[i].LastSeenUnixMs = now;
                return i;
            }
        }

        _silos.Add(new SiloSlot(siloInstance) { LastSeenUnixMs = now });
        return _silos.Count - 1;
    }

    private sealed class SiloSlot(string instance)
    {
        public string Instance { get; } = instance;

        public long LastSeenUnixMs { get; set; }

        public bool Forgotten { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Tenant {TenantId}: refused a {Size}-byte cache entry; {Used} of {Quota} bytes used and not enough evictable.")]
        public static partial void Refused(ILogger logger, string tenantId, long size, long used, long quota);

        [LoggerMessage(2, LogLevel.Information, "Tenant {TenantId}: silo {Silo} re-registered {Count} cache entries.")]
        public static partial void Registered(ILogger logger, string tenantId, int count, string silo);

        [LoggerMessage(3, LogLevel.Warning, "Tenant {TenantId}: could not evict a cache entry (key of {KeyLength} characters); the index no longer counts it.")]
        public static partial void EvictFailed(ILogger logger, Exception exception, string tenantId, int keyLength);

        [LoggerMessage(5, LogLevel.Information, "Tenant {TenantId}: indexed {Count} durable cache entries from the store.")]
        public static partial void LoadedDurable(ILogger logger, string tenantId, int count);

        [LoggerMessage(4, LogLevel.Warning, "Tenant {TenantId}: silo {Silo} fell silent; forgot its {Count} memory-only cache entries.")]
        public static partial void ForgotSilo(ILogger logger, string tenantId, string silo, int count);
    }
}
