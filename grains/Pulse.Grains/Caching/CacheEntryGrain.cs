using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Pulse.GrainInterfaces.Caching;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Grains.Caching;

/// <summary>
/// One cache entry. The value lives in this activation, which is kept alive until the entry expires;
/// durable entries are also in the grain store, written before a write is acknowledged and read back
/// when the entry activates again (after collection, a move, or a silo failure). Every write is first
/// admitted by the tenant's index (<see cref="ITenantCacheGrain"/>), which keeps the quota and makes
/// pattern and tag deletes exact; reads never call the index: they are counted on this silo and
/// reported in batches by <see cref="CacheSiloActivity"/>.
/// </summary>
/// <remarks>
/// Fields instead of a state object keep an entry small; an activation without a value (a miss) is
/// collected after two idle minutes.
/// </remarks>
[CollectionAgeLimit(2)]
public sealed class CacheEntryGrain : Grain, ICacheEntryGrain
{
    /// <summary>The name of a durable entry's record in the grain store.</summary>
    internal const string StateName = "entry";

    // How long an entry without expiry keeps its activation: effectively for ever.
    private static readonly TimeSpan NoExpiryKeepAlive = TimeSpan.FromDays(3650);

    // One activation per entry: every field here is paid per cached key, so rarely used state lives
    // in _extras and sizes that fit are ints.
    private readonly TenantCacheActivity _activity;
    private byte[]? _value;
    private string[] _tags = [];
    private CacheEntryExtras? _extras;
    private long _version;
    private long _writtenAt;
    private long _expiresAt;
    private long _ttlMs;
    private long _lastTouchReported;

    // The version of a write waiting for its admission; its negation once the index evicted it meanwhile.
    private long _pendingVersion;
    private int _size;
    private byte _priority; // a CachePriority; the enum is int-sized, and 3 bytes here round the object up by 8
    private bool _sliding;
    private bool _durable;

    /// <summary>Creates the entry of the key in this activation's grain id.</summary>
    public CacheEntryGrain(CacheSiloActivity silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        _activity = silo.ForTenant(CacheKeys.Split(GetPrimaryKeyString()).TenantId);
    }

    /// <summary>The tenant activity this entry counts in.</summary>
    internal TenantCacheActivity Activity => _activity;

    private long StaleMs => _extras?.StaleMs ?? 0;

    private CacheLease? Lease
    {
        get => _extras?.Lease;
        set
        {
            if (value is not null || _extras is not null)
            {
                (_extras ??= new()).Lease = value;
            }
        }
    }

    private long NowMs => TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    private string CacheKey => CacheKeys.Split(GetPrimaryKeyString()).CacheKey;

    private ITenantCacheGrain Index => GrainFactory.GetGrain<ITenantCacheGrain>(_activity.TenantId);

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Storage is not { } storage)
        {
            return;
        }

        var record = new CacheEntryRecord();
        await storage.ReadStateAsync(StateName, GrainId, record, cancellationToken);

        // A cleared record keeps counting versions, so its ETag is needed for the next write.
        if (record.ETag is not null || record.RecordExists)
        {
            _extras = new CacheEntryExtras { StoredETag = record.ETag, StoredExists = record.RecordExists };
        }

        if (!record.RecordExists || record.State.Value is null)
        {
            return;
        }

        CacheEntryState stored = record.State;
        long now = NowMs;
        if (stored.ExpiresAtUnixMs != 0 && now >= stored.ExpiresAtUnixMs + stored.StaleMs)
        {
            // Expired while nobody held it: reclaim the record instead of serving it.
            await ClearStoredAsync();
            _ = Index.RemovedAsync(CacheKey, stored.Version, CacheRemovalReason.Expired);
            return;
        }

        _value = stored.Value;
        _version = stored.Version;
        _writtenAt = stored.WrittenAtUnixMs;
        _expiresAt = stored.ExpiresAtUnixMs;
        _ttlMs = stored.TtlMs;
        _sliding = stored.Sliding;
        SetStaleMs(stored.StaleMs);
        _priority = (byte)stored.Priority;
        _tags = stored.Tags ?? [];
        _durable = true;
        _size = checked((int)CacheLimits.ChargedBytes(CacheKey, _value.Length, _tags));
        _activity.Hold(added: true, _size);
        KeepAlive(now);
    }

    /// <inheritdoc />
    public ValueTask<CacheGetResult> GetAsync(long leaseMs)
    {
        long now = NowMs;
        CacheGetResult? found = Read(now, leaseMs);
        if (found is not null)
        {
            _activity.RecordHit();
            return ValueTask.FromResult(found);
        }

        _activity.RecordMiss();
        return ValueTask.FromResult(MissWithLease(now, leaseMs));
    }

    /// <inheritdoc />
    public async ValueTask<CacheGetResult> WaitAsync(long waitMs, long leaseMs)
    {
        long deadline = NowMs + Math.Max(0, waitMs);
        while (true)
        {
            long now = NowMs;
            if (Read(now, leaseMs: 0) is { } found)
            {
                return found;
            }

            if (Lease is not { } lease || !lease.IsHeld(now))
            {
                // Nobody is computing the value (any more): this caller may take the lease.
                return MissWithLease(now, leaseMs);
            }

            long until = Math.Min(deadline, lease.ExpiresAtUnixMs);
            if (until <= now)
            {
                return CacheGetResult.Miss with { LeaseHeldMs = lease.ExpiresAtUnixMs - now };
            }

            await Task.WhenAny(lease.Changed, Task.Delay(TimeSpan.FromMilliseconds(until - now), TimeProvider));
        }
    }

    /// <inheritdoc />
    public async ValueTask<CachePutResult> PutAsync(CachePut put)
    {
        ArgumentNullException.ThrowIfNull(put);
        long now = NowMs;
        DropIfPastGrace(now);
        bool live = _value is not null && (_expiresAt == 0 || now < _expiresAt);
        string? currentETag = _value is null ? null : CacheKeys.ETag(_version);
        if ((put.IfNoneMatch && live)
            || (put.IfMatch is { } ifMatch && (!live || (ifMatch != "*" && !string.Equals(ifMatch, currentETag, StringComparison.Ordinal)))))
        {
            return new CachePutResult(CachePutStatus.PreconditionFailed, live ? currentETag : null);
        }

        if (put.LeaseToken is { } token && (Lease is not { } held || !string.Equals(held.Token, token, StringComparison.Ordinal)))
        {
            return new CachePutResult(CachePutStatus.LeaseLost, currentETag);
        }

        CacheEntryOptions options = put.Options;
        string cacheKey = CacheKey;
        long version = NewVersion();
        int size = checked((int)CacheLimits.ChargedBytes(cacheKey, put.Value.Length, options.Tags));
        long expiresAt = options.TtlMs > 0 ? now + options.TtlMs : 0;
        var entry = new CacheIndexEntry(cacheKey, version, size, options.Priority, options.Tags, expiresAt, options.StaleMs, options.Durable, now, _activity.SiloInstanceId);

        _pendingVersion = version;
        CacheAdmission admission;
        bool evictedWhilePending;
        try
        {
            admission = await Index.AdmitAsync(entry);
        }
        finally
        {
            evictedWhilePending = _pendingVersion == -version;
            _pendingVersion = 0;
        }

        _activity.OnAdmitted(admission.Incarnation);
        if (!admission.Admitted)
        {
            return new CachePutResult(CachePutStatus.InsufficientStorage, _value is null ? null : CacheKeys.ETag(_version));
        }

        bool replaced = _value is not null;
        try
        {
            await PersistAsync(put.Value, options, version, now, expiresAt);
        }
        catch
        {
            // The store refused the write: the key is left absent rather than half-written.
            Drop();
            await Index.RemovedAsync(cacheKey, version, CacheRemovalReason.Deleted);
            throw;
        }

        if (evictedWhilePending)
        {
            // The index evicted this write while it waited for admission (another write needed the room).
            Drop();
            await ClearStoredAsync();
            return new CachePutResult(replaced ? CachePutStatus.Replaced : CachePutStatus.Created, CacheKeys.ETag(version));
        }

        int previousSize = _value is null ? 0 : _size;
        _value = put.Value;
        _version = version;
        _writtenAt = now;
        _expiresAt = expiresAt;
        _ttlMs = options.TtlMs;
        _sliding = options.Sliding && options.TtlMs > 0;
        SetStaleMs(options.StaleMs);
        _priority = (byte)options.Priority;
        _tags = options.Tags;
        _durable = options.Durable;
        _size = size;
        _lastTouchReported = now;
        _activity.Hold(added: !replaced, size - previousSize);

        EndLease();
        KeepAlive(now);
        return new CachePutResult(replaced ? CachePutStatus.Replaced : CachePutStatus.Created, CacheKeys.ETag(version));
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteAsync()
    {
        long now = NowMs;
        DropIfPastGrace(now);
        bool existed = _value is not null;
        if (existed)
        {
            long version = _version;
            Drop();
            await Index.RemovedAsync(CacheKey, version, CacheRemovalReason.Deleted);
        }

        await ClearStoredAsync();

        // A delete invalidates an outstanding lease, so a value computed before it is not written after it.
        EndLease();
        DeactivateOnIdle();
        return existed;
    }

    /// <inheritdoc />
    public async ValueTask<CacheEvictResult> EvictAsync(long version, CacheRemovalReason reason)
    {
        if (_pendingVersion > 0 && version == _pendingVersion)
        {
            _pendingVersion = -version;
            return new CacheEvictResult(true, 0, 0);
        }

        long now = NowMs;
        if (_value is null || _version != version)
        {
            return new CacheEvictResult(false, _value is null ? 0 : _version, _expiresAt);
        }

        if (reason == CacheRemovalReason.Expired && !(_expiresAt != 0 && now >= _expiresAt + StaleMs))
        {
            // A sliding read moved the expiry after the index last heard of it.
            return new CacheEvictResult(false, _version, _expiresAt);
        }

        if (reason == CacheRemovalReason.MemoryPressure && _durable)
        {
            // A durable entry only leaves memory: it stays in the store and in the index, and comes
            // back on its next read.
            DeactivateOnIdle();
            return new CacheEvictResult(true, _version, _expiresAt);
        }

        Drop();
        await ClearStoredAsync();
        if (Lease is null)
        {
            DeactivateOnIdle();
        }

        return new CacheEvictResult(true, 0, 0);
    }

    /// <inheritdoc />
    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_value is not null)
        {
            long version = _version;
            bool durable = _durable;
            Release();

            // Gone from this silo's point of view: a snapshot for a new index must not list it.
            _value = null;
            if (!durable)
            {
                // A memory-only entry ends with its activation. The silo's next report tells the index,
                // in one message for all of them (a silo moving thousands of entries sends no storm).
                _activity.RecordLost(CacheKey, version);
            }
        }

        EndLease();
        return Task.CompletedTask;
    }

    /// <summary>What the index should hold for this entry (null when it holds no value).</summary>
    internal CacheIndexEntry? Describe(string siloInstance)
    {
        // Runs on the report loop while a turn may be running: read each field once.
        byte[]? value = _value;
        if (value is null)
        {
            return null;
        }

        string[] tags = _tags;
        long version = _version;
        return new CacheIndexEntry(CacheKey, version, Volatile.Read(ref _size), (CachePriority)_priority, tags, Volatile.Read(ref _expiresAt), StaleMs, _durable, Volatile.Read(ref _lastTouchReported), siloInstance);
    }

    // A hit or stale hit, or null when there is no live value (a value past its grace is dropped here).
    private CacheGetResult? Read(long now, long leaseMs)
    {
        if (_value is null)
        {
            return null;
        }

        if (_expiresAt == 0 || now < _expiresAt)
        {
            if (_sliding)
            {
                _expiresAt = now + _ttlMs;
                KeepAlive(now);
            }

            if (_sliding || now - _lastTouchReported >= 1000)
            {
                // At most one touch a second per entry (sliding ones every read, so the index's expiry stays right).
                _lastTouchReported = now;
                _activity.Touch(CacheKey, _version, now, _expiresAt);
            }

            long remaining = _expiresAt == 0 ? -1 : _expiresAt - now;
            return new CacheGetResult(CacheLookup.Hit, _value, CacheKeys.ETag(_version), now - _writtenAt, remaining, null, 0);
        }

        if (now < _expiresAt + StaleMs)
        {
            string? token = leaseMs > 0 ? TryGrantLease(now, leaseMs) : null;
            long held = token is null && Lease is { } lease && lease.IsHeld(now) ? lease.ExpiresAtUnixMs - now : 0;
            return new CacheGetResult(CacheLookup.Stale, _value, CacheKeys.ETag(_version), now - _writtenAt, 0, token, held);
        }

        DropIfPastGrace(now);
        return null;
    }

    private CacheGetResult MissWithLease(long now, long leaseMs)
    {
        if (leaseMs <= 0)
        {
            return CacheGetResult.Miss;
        }

        if (TryGrantLease(now, leaseMs) is { } token)
        {
            return CacheGetResult.Miss with { LeaseToken = token };
        }

        return CacheGetResult.Miss with { LeaseHeldMs = Lease!.ExpiresAtUnixMs - now };
    }

    private string? TryGrantLease(long now, long leaseMs)
    {
        if (Lease is { } lease && lease.IsHeld(now))
        {
            return null;
        }

        // Waiters of an ended lease wake and find the new one held.
        Lease?.Signal();
        string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Lease = new CacheLease(token, now + leaseMs);
        DelayDeactivation(TimeSpan.FromMilliseconds(leaseMs));
        return token;
    }

    private void EndLease()
    {
        if (Lease is { } lease)
        {
            Lease = null;
            lease.Signal();
        }
    }

    private void DropIfPastGrace(long now)
    {
        if (_value is not null && _expiresAt != 0 && now >= _expiresAt + StaleMs)
        {
            // A durable record stays until the next write, delete or activation clears it, so this
            // synchronous path never races a write on the record's ETag.
            long version = _version;
            Drop();
            _ = Index.RemovedAsync(CacheKey, version, CacheRemovalReason.Expired);
            if (Lease is null)
            {
                DeactivateOnIdle();
            }
        }
    }

    private void Drop()
    {
        if (_value is not null)
        {
            Release();
        }

        _value = null;
        _tags = [];
        _version = 0;
        _expiresAt = 0;
        _size = 0;
    }

    private void Release() => _activity.Release(_size);

    private void SetStaleMs(long staleMs)
    {
        if (staleMs != 0 || _extras is not null)
        {
            (_extras ??= new()).StaleMs = staleMs;
        }
    }

    private void KeepAlive(long now)
    {
        TimeSpan keepAlive = _expiresAt == 0 ? NoExpiryKeepAlive : TimeSpan.FromMilliseconds(_expiresAt + StaleMs - now);
        DelayDeactivation(keepAlive);
    }

    private long NewVersion()
    {
        long version;
        do
        {
            version = Random.Shared.NextInt64(1, long.MaxValue);
        }
        while (version == _version);
        return version;
    }

    private IGrainStorage? Storage => ServiceProvider.GetKeyedService<IGrainStorage>(GrainStorageQueries.DefaultStorageName);

    private async Task PersistAsync(byte[] value, CacheEntryOptions options, long version, long now, long expiresAt)
    {
        if (!options.Durable)
        {
            await ClearStoredAsync();
            return;
        }

        IGrainStorage storage = Storage
            ?? throw new InvalidOperationException("Durable cache entries need a grain storage provider named 'Default'; this silo has none.");
        var record = new CacheEntryRecord
        {
            ETag = _extras?.StoredETag,
            RecordExists = _extras?.StoredExists ?? false,
            State = new CacheEntryState
            {
                Value = value,
                Version = version,
                WrittenAtUnixMs = now,
                ExpiresAtUnixMs = expiresAt,
                TtlMs = options.TtlMs,
                Sliding = options.Sliding,
                StaleMs = options.StaleMs,
                Priority = options.Priority,
                Tags = options.Tags,
            },
        };
        await storage.WriteStateAsync(StateName, GrainId, record, CancellationToken.None);
        _extras ??= new();
        _extras.StoredETag = record.ETag;
        _extras.StoredExists = true;
    }

    private async Task ClearStoredAsync()
    {
        if (_extras is not { StoredExists: true } extras || Storage is not { } storage)
        {
            return;
        }

        var record = new CacheEntryRecord { ETag = extras.StoredETag, RecordExists = true };
        await storage.ClearStateAsync(StateName, GrainId, record, CancellationToken.None);
        extras.StoredETag = record.ETag;
        extras.StoredExists = false;
    }
}
