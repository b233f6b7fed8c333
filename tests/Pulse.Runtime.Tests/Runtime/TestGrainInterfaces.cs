using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Runtime;

/// <summary>What a concurrency probe saw.</summary>
[GenerateSerializer]
public sealed record ProbeStats([property: Id(0)] int MaxConcurrent, [property: Id(1)] int ParallelViolations, [property: Id(2)] int Calls);

/// <summary>Shared by two classes, so calling it directly is ambiguous; the derived interfaces pick one.</summary>
public interface IConcurrencyProbeGrain : IGrainWithStringKey
{
    /// <summary>Enters, yields <paramref name="yields"/> times, leaves; returns how many requests were inside at entry.</summary>
    Task<int> EnterAsync(int yields);

    /// <summary>Same as EnterAsync but read-only.</summary>
    [ReadOnly]
    Task<int> ReadAsync(int yields);

    /// <summary>Same as EnterAsync but always interleaved.</summary>
    [AlwaysInterleave]
    Task<int> InterleaveAsync(int yields);

    Task<ProbeStats> GetStatsAsync();

    /// <summary>Holds the turn until the gate named <paramref name="gateKey"/> is released.</summary>
    Task BlockAsync(string gateKey);

    /// <summary>Waits (always interleaved) until the gate named <paramref name="gateKey"/> is released.</summary>
    [AlwaysInterleave]
    Task BlockInterleavedAsync(string gateKey);
}

[GrainType("test.probe")]
public interface IProbeGrain : IConcurrencyProbeGrain
{
}

[GrainType("test.reentrant-probe")]
public interface IReentrantProbeGrain : IConcurrencyProbeGrain
{
}

/// <summary>Lists the counters keyed "{its key}/…" from storage, as the tenant cache index rebuilds itself.</summary>
[GrainType("test.counter-directory")]
public interface ICounterDirectoryGrain : IGrainWithStringKey
{
    /// <summary>"key=value" of every stored counter under this grain's key, in key order.</summary>
    Task<string[]> ListAsync();
}

[GrainType("test.counter")]
public interface ICounterGrain : IGrainWithStringKey
{
    /// <summary>Changes state in memory only.</summary>
    Task<int> AddAsync(int delta);

    /// <summary>Changes state and writes it.</summary>
    Task<int> AddAndWriteAsync(int delta);

    /// <summary>Adds one and writes it; returns a <see cref="ValueTask{TResult}"/>, so calls can be bundled.</summary>
    ValueTask<int> IncrementAsync();

    [ReadOnly]
    Task<int> GetAsync();

    Task<string?> GetEtagAsync();

    Task ClearAsync();

    Task DeactivateAsync();

    /// <summary>Keeps the activation from idle collection for at least <paramref name="timeSpan"/>.</summary>
    Task DelayDeactivationAsync(TimeSpan timeSpan);
}

[GrainType("test.behaviour")]
public interface IBehaviourGrain : IGrainWithStringKey
{
    Task ThrowAsync(string message);

    Task<int> ThrowArgumentAsync(string parameterName);

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="parameterName"/> without awaiting first.</summary>
    ValueTask<int> ThrowArgumentNowAsync(string parameterName);

    Task HangAsync();

    Task<bool> WaitForCancellationAsync(CancellationToken cancellationToken);

    Task<List<int>> StoreAsync(List<int> values);

    Task<List<int>> GetStoredAsync();

    [OneWay]
    Task RecordOneWayAsync(string marker);

    ValueTask<int> EchoAsync(int value);

    /// <summary>The id of the process running this activation: which silo process hosts the grain.</summary>
    ValueTask<int> ProcessIdAsync();

    ValueTask<string> DescribeContextAsync();

    Task<int> CallOtherAsync(string otherKey, int value);

    /// <summary>The first attempt hangs (its silo is killed under it); later attempts answer.</summary>
    [Idempotent]
    Task<int> FirstAttemptHangsIdempotentAsync();

    /// <summary>Same, but not idempotent: it must not be retried.</summary>
    Task<int> FirstAttemptHangsAsync();

    /// <summary><see cref="FirstAttemptHangsIdempotentAsync"/> as a <see cref="ValueTask{TResult}"/>, so calls can be bundled.</summary>
    [Idempotent]
    ValueTask<int> FirstAttemptHangsIdempotentBundleableAsync();

    /// <summary><see cref="FirstAttemptHangsAsync"/> as a <see cref="ValueTask{TResult}"/>, so calls can be bundled.</summary>
    ValueTask<int> FirstAttemptHangsBundleableAsync();

    /// <summary>Appends to a list the grain keeps and returns that same list, which later calls change.</summary>
    ValueTask<List<int>> AppendAndGetAsync(int value);

    /// <summary>Returns <paramref name="length"/> bytes, each the length modulo 251.</summary>
    ValueTask<byte[]> FillAsync(int length);

    /// <summary>Returns the length of <paramref name="data"/>.</summary>
    ValueTask<int> MeasureAsync(byte[] data);

    /// <summary>Returns <paramref name="value"/>, except on a grain whose key starts with "hang": it waits for its gate.</summary>
    ValueTask<int> EchoOrHangAsync(int value);
}

[GrainType("test.failing-activation")]
public interface IFailingActivationGrain : IGrainWithStringKey
{
    Task<int> PingAsync();
}

[GrainType("test.timer")]
public interface ITimerGrain : IGrainWithStringKey
{
    Task StartTimerAsync(TimeSpan period, bool interleave);

    Task<int> GetTicksAsync();

    [AlwaysInterleave]
    Task<int> PeekTicksAsync();

    Task StopTimerAsync();
}

/// <summary>Shows on which thread, and inside whose call, a grain method ran.</summary>
[GrainType("test.caller-thread")]
public interface ICallerThreadGrain : IGrainWithStringKey
{
    /// <summary>The managed thread id the method ran on.</summary>
    ValueTask<int> ThreadAsync();

    /// <summary>Whether the method ran while a caller grain's method was still on the stack of its thread.</summary>
    ValueTask<bool> RanInsideCallerAsync();

    /// <summary>Calls <see cref="RanInsideCallerAsync"/> on the grain <paramref name="otherKey"/> from this grain's turn.</summary>
    ValueTask<bool> CallRanInsideCallerAsync(string otherKey);
}
