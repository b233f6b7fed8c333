using Pulse.Runtime.Membership;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Membership;

/// <summary>
/// Decides how every probe goes, per target (or per link), on the manual clock. A probe that gets no
/// answer waits, as the real one does, until its timeout passes on the fake clock; a stalled target
/// (SIGSTOP) answers when its stall ends if that is before the timeout.
/// </summary>
internal sealed class FakeSiloNetwork(ManualTimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly HashSet<SiloAddress> _killed = [];
    private readonly Dictionary<SiloAddress, DateTimeOffset> _stalledUntil = [];
    private readonly Dictionary<(SiloAddress From, SiloAddress To), int> _dropNext = [];
    private readonly List<(SiloAddress From, SiloAddress To, bool Answered)> _results = [];

    /// <summary>The process is gone: probes get no answer until they time out.</summary>
    public void Kill(SiloAddress silo)
    {
        lock (_lock)
        {
            _killed.Add(silo);
        }
    }

    /// <summary>The process is frozen for <paramref name="duration"/> from now, then answers again.</summary>
    public void Stall(SiloAddress silo, TimeSpan duration)
    {
        lock (_lock)
        {
            _stalledUntil[silo] = time.GetUtcNow() + duration;
        }
    }

    /// <summary>The next <paramref name="count"/> probes from <paramref name="from"/> to <paramref name="to"/> get no answer.</summary>
    public void DropNext(SiloAddress from, SiloAddress to, int count)
    {
        lock (_lock)
        {
            _dropNext[(from, to)] = count;
        }
    }

    public int Answered(SiloAddress from, SiloAddress to) => Count(from, to, answered: true);

    public int Missed(SiloAddress from, SiloAddress to) => Count(from, to, answered: false);

    public FakeProber ProberFor(SiloAddress from) => new(this, from);

    private int Count(SiloAddress from, SiloAddress to, bool answered)
    {
        lock (_lock)
        {
            return _results.Count(result => result.From == from && result.To == to && result.Answered == answered);
        }
    }

    private Task<bool> ProbeAsync(FakeProber prober, SiloAddress target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        DateTimeOffset now = time.GetUtcNow();
        TimeSpan wait;
        bool answer;
        lock (_lock)
        {
            if (_dropNext.TryGetValue((prober.From, target), out int drops) && drops > 0)
            {
                _dropNext[(prober.From, target)] = drops - 1;
                (wait, answer) = (timeout, false);
            }
            else if (_killed.Contains(target))
            {
                (wait, answer) = (timeout, false);
            }
            else if (_stalledUntil.TryGetValue(target, out DateTimeOffset until) && until > now)
            {
                (wait, answer) = until - now < timeout ? (until - now, true) : (timeout, false);
            }
            else
            {
                _results.Add((prober.From, target, true));
                return Task.FromResult(true);
            }
        }

        return Park(prober, target, wait, answer, cancellationToken);
    }

    /// <summary>Completes after <paramref name="wait"/> of fake time (or on cancellation, as a miss).</summary>
    private Task<bool> Park(FakeProber prober, SiloAddress target, TimeSpan wait, bool answer, CancellationToken cancellationToken)
    {
        var completion = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        int done = 0;
        ITimer? timer = null;
        CancellationTokenRegistration registration = default;
        Interlocked.Increment(ref prober.ParkedCount);

        // Runs on the thread moving the clock, so the parked count is exact as soon as Advance returns.
        void Complete(bool answered)
        {
            if (Interlocked.Exchange(ref done, 1) != 0)
            {
                return;
            }

            lock (_lock)
            {
                _results.Add((prober.From, target, answered));
            }

            Interlocked.Decrement(ref prober.ParkedCount);
            timer?.Dispose();
            registration.Dispose();
            completion.SetResult(answered);
        }

        timer = time.CreateTimer(_ => Complete(answer), null, wait, Timeout.InfiniteTimeSpan);
        registration = cancellationToken.Register(() => Complete(false));
        return completion.Task;
    }

    /// <summary>The prober one silo uses.</summary>
    internal sealed class FakeProber(FakeSiloNetwork network, SiloAddress from) : ISiloProber
    {
        public int ParkedCount;

        public SiloAddress From => from;

        /// <summary>Probes waiting on the fake clock.</summary>
        public int Parked => Volatile.Read(ref ParkedCount);

        public Task<bool> ProbeAsync(SiloAddress silo, TimeSpan timeout, CancellationToken cancellationToken) =>
            network.ProbeAsync(this, silo, timeout, cancellationToken);
    }
}

/// <summary>Records every gossip hint; can be told to fail.</summary>
internal sealed class RecordingGossip : IMembershipGossip
{
    private readonly Lock _lock = new();
    private readonly List<ClusterMembershipView> _views = [];

    public bool Throw { get; set; }

    public IReadOnlyList<ClusterMembershipView> Views
    {
        get
        {
            lock (_lock)
            {
                return [.. _views];
            }
        }
    }

    public Task NotifyAsync(ClusterMembershipView view, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _views.Add(view);
        }

        return Throw ? Task.FromException(new InvalidOperationException("gossip transport down (simulated)")) : Task.CompletedTask;
    }
}

/// <summary>Records terminations.</summary>
internal sealed class RecordingTerminator : ISiloTerminator
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public string? Reason { get; private set; }

    public void TerminateSelf(string reason)
    {
        Reason = reason;
        Interlocked.Increment(ref _calls);
    }
}
