using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Tests.Membership;

/// <summary>
/// The in-memory membership table with test controls: an outage switch, a barrier that holds the first
/// row updates until several writers arrived (to force a conflict), a history of written statuses and
/// suspicions, and direct edits that bump the version like any writer.
/// </summary>
internal sealed class ScriptedMembershipTable : IMembershipTable
{
    private readonly InMemoryMembershipTable _inner = new();
    private readonly Lock _lock = new();
    private readonly List<(SiloAddress Silo, SiloStatus Status)> _statusHistory = [];
    private readonly HashSet<SiloAddress> _everSuspected = [];
    private TaskCompletionSource? _barrier;
    private int _barrierWaiting;
    private int _barrierSize;
    private volatile bool _failing;
    private int _conflicts;
    private int _failedCalls;

    /// <summary>Every call throws while set (a database outage).</summary>
    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    public int Conflicts => Volatile.Read(ref _conflicts);

    public int FailedCalls => Volatile.Read(ref _failedCalls);

    public IReadOnlyList<SiloStatus> StatusHistory(SiloAddress silo)
    {
        lock (_lock)
        {
            return _statusHistory.Where(item => item.Silo == silo).Select(item => item.Status).ToList();
        }
    }

    public bool EverSuspected(SiloAddress silo)
    {
        lock (_lock)
        {
            return _everSuspected.Contains(silo);
        }
    }

    /// <summary>Holds the next row updates until <paramref name="writers"/> of them are waiting, then lets them all go.</summary>
    public void HoldUpdatesUntil(int writers)
    {
        lock (_lock)
        {
            _barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _barrierSize = writers;
            _barrierWaiting = 0;
        }
    }

    public MembershipEntry Get(SiloAddress silo)
    {
        MembershipTableSnapshot snapshot = _inner.ReadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        Assert.True(snapshot.TryGet(silo, out MembershipEntry entry, out _), $"{silo} has a row");
        return entry;
    }

    public bool Contains(SiloAddress silo)
    {
        MembershipTableSnapshot snapshot = _inner.ReadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        return snapshot.TryGet(silo, out _, out _);
    }

    /// <summary>Writes a row as another process would (insert or replace), bumping the version.</summary>
    public void Put(MembershipEntry entry)
    {
        // Idempotent; a writer that came before any silo would have initialised the table too.
        _inner.InitializeAsync(CancellationToken.None).GetAwaiter().GetResult();
        MembershipTableSnapshot snapshot = _inner.ReadAllAsync(CancellationToken.None).GetAwaiter().GetResult();
        bool written = snapshot.TryGet(entry.Silo, out _, out string etag)
            ? _inner.UpdateRowAsync(entry, etag, snapshot.Version.Next(), CancellationToken.None).GetAwaiter().GetResult()
            : _inner.InsertRowAsync(entry, snapshot.Version.Next(), CancellationToken.None).GetAwaiter().GetResult();
        Assert.True(written, $"seeded {entry.Silo}");
        Record(entry);
    }

    public Task InitializeAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return _inner.InitializeAsync(cancellationToken);
    }

    public Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return _inner.ReadAllAsync(cancellationToken);
    }

    public async Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        bool written = await _inner.InsertRowAsync(entry, tableVersion, cancellationToken);
        Count(written, entry);
        return written;
    }

    public async Task<bool> UpdateRowAsync(MembershipEntry entry, string etag, TableVersion tableVersion, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        Task? hold = null;
        lock (_lock)
        {
            if (_barrier is { } barrier)
            {
                _barrierWaiting++;
                hold = barrier.Task;
                if (_barrierWaiting >= _barrierSize)
                {
                    _barrier = null;
                    barrier.SetResult();
                }
            }
        }

        if (hold is not null)
        {
            await hold.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }

        bool written;
        lock (_lock)
        {
            // One writer at a time once released, as a database serialises conditional writes.
            written = _inner.UpdateRowAsync(entry, etag, tableVersion, cancellationToken).GetAwaiter().GetResult();
        }

        Count(written, entry);
        return written;
    }

    public Task UpdateIAmAliveAsync(SiloAddress silo, DateTimeOffset iAmAliveTime, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return _inner.UpdateIAmAliveAsync(silo, iAmAliveTime, cancellationToken);
    }

    public Task<int> CleanupDefunctSiloEntriesAsync(DateTimeOffset beforeDate, CancellationToken cancellationToken)
    {
        ThrowIfFailing();
        return _inner.CleanupDefunctSiloEntriesAsync(beforeDate, cancellationToken);
    }

    private void Count(bool written, MembershipEntry entry)
    {
        if (written)
        {
            Record(entry);
        }
        else
        {
            Interlocked.Increment(ref _conflicts);
        }
    }

    private void Record(MembershipEntry entry)
    {
        lock (_lock)
        {
            if (_statusHistory.LastOrDefault(item => item.Silo == entry.Silo).Status != entry.Status)
            {
                _statusHistory.Add((entry.Silo, entry.Status));
            }

            if (entry.Suspicions.Count > 0)
            {
                _everSuspected.Add(entry.Silo);
            }
        }
    }

    private void ThrowIfFailing()
    {
        if (_failing)
        {
            Interlocked.Increment(ref _failedCalls);
            throw new InvalidOperationException("The membership database is unreachable (simulated outage).");
        }
    }
}
