using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Routing;

namespace Pulse.Runtime.Invocation;

/// <summary>
/// Calls awaiting a response, keyed by correlation id, so they can be timed out (and, across the
/// network, matched with their responses). Striped dictionaries under short locks: adding and
/// removing allocate nothing in the steady state, unlike a node-per-entry concurrent dictionary.
/// </summary>
internal sealed class PendingCallTable : IDisposable
{
    private readonly Shard[] _shards;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _responseTimeout;
    private readonly ITimer _sweeper;
    private long _nextCorrelationId;

    public PendingCallTable(TimeProvider timeProvider, IOptions<MessagingOptions> options)
    {
        _timeProvider = timeProvider;
        _responseTimeout = options.Value.ResponseTimeout;
        _shards = new Shard[Math.Max(4, Environment.ProcessorCount * 4)];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard();
        }

        // Sweep often enough that a timeout fires at most ~10% late, but not more often than needed.
        TimeSpan period = TimeSpan.FromTicks(Math.Clamp(_responseTimeout.Ticks / 10, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _sweeper = timeProvider.CreateTimer(static state => ((PendingCallTable)state!).Sweep(), this, period, period);
    }

    public TimeSpan ResponseTimeout => _responseTimeout;

    /// <summary>The clock deadlines are measured with.</summary>
    public TimeProvider TimeProvider => _timeProvider;

    public int Count
    {
        get
        {
            int count = 0;
            foreach (Shard shard in _shards)
            {
                lock (shard)
                {
                    count += shard.Calls.Count;
                }
            }

            return count;
        }
    }

    public long NextCorrelationId() => Interlocked.Increment(ref _nextCorrelationId);

    public long ComputeDeadline() => _timeProvider.GetTimestamp() + (long)(_responseTimeout.TotalSeconds * _timeProvider.TimestampFrequency);

    public void Add(IPendingCall call)
    {
        Shard shard = ShardFor(call.CorrelationId);
        lock (shard)
        {
            shard.Calls.Add(call.CorrelationId, call);
        }
    }

    /// <summary>
    /// Puts <paramref name="replacement"/> in the place of <paramref name="expected"/> under the same
    /// correlation id; false, changing nothing, when the entry is gone or holds another call (the
    /// call finished meanwhile).
    /// </summary>
    public bool TryReplace(long correlationId, IPendingCall expected, IPendingCall replacement)
    {
        Shard shard = ShardFor(correlationId);
        lock (shard)
        {
            ref IPendingCall entry = ref CollectionsMarshal.GetValueRefOrNullRef(shard.Calls, correlationId);
            if (Unsafe.IsNullRef(ref entry) || !ReferenceEquals(entry, expected))
            {
                return false;
            }

            entry = replacement;
            return true;
        }
    }

    public bool TryGet(long correlationId, out IPendingCall call)
    {
        Shard shard = ShardFor(correlationId);
        lock (shard)
        {
            return shard.Calls.TryGetValue(correlationId, out call!);
        }
    }

    /// <summary>Every pending call sent to a silo (when its connection dies or it is declared dead).</summary>
    public List<IRemotePendingCall> FindSentTo(Pulse.Runtime.Membership.SiloAddress silo)
    {
        List<IRemotePendingCall> found = [];
        foreach (Shard shard in _shards)
        {
            lock (shard)
            {
                foreach (IPendingCall call in shard.Calls.Values)
                {
                    if (call is IRemotePendingCall remote && remote.SentTo == silo)
                    {
                        found.Add(remote);
                    }
                }
            }
        }

        return found;
    }

    public void Remove(long correlationId)
    {
        Shard shard = ShardFor(correlationId);
        lock (shard)
        {
            shard.Calls.Remove(correlationId);
        }
    }

    /// <summary>Times out every call whose deadline has passed.</summary>
    public void Sweep()
    {
        long now = _timeProvider.GetTimestamp();
        List<IPendingCall>? expired = null;
        foreach (Shard shard in _shards)
        {
            lock (shard)
            {
                foreach (IPendingCall call in shard.Calls.Values)
                {
                    if (call.DeadlineTimestamp <= now)
                    {
                        (expired ??= []).Add(call);
                    }
                }
            }
        }

        if (expired is null)
        {
            return;
        }

        foreach (IPendingCall call in expired)
        {
            call.Timeout(_responseTimeout);
        }
    }

    public void Dispose() => _sweeper.Dispose();

    private Shard ShardFor(long correlationId) => _shards[(int)((ulong)correlationId % (ulong)_shards.Length)];

    private sealed class Shard
    {
        public readonly Dictionary<long, IPendingCall> Calls = [];
    }
}
