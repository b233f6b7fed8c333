using System.Collections.Concurrent;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Runtime;

/// <summary>Side channel where test grains record lifecycle events, keyed by grain key (unique per test).</summary>
public static class GrainEvents
{
    public static readonly ConcurrentDictionary<string, int> Activations = new();
    public static readonly ConcurrentDictionary<string, int> Deactivations = new();
    public static readonly ConcurrentDictionary<string, DeactivationReasonCode> LastDeactivationReason = new();
    public static readonly ConcurrentDictionary<string, bool> Cancelled = new();
    public static readonly ConcurrentDictionary<string, bool> Started = new();
    public static readonly ConcurrentDictionary<string, string> OneWay = new();
    public static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new();
    public static readonly ConcurrentDictionary<string, int> TimerTicks = new();
    public static readonly ConcurrentDictionary<string, int> TimerMaxConcurrent = new();

    public static SemaphoreSlim Gate(string key) => Gates.GetOrAdd(key, _ => new SemaphoreSlim(0));

    public static int Get(ConcurrentDictionary<string, int> counters, string key) => counters.TryGetValue(key, out int value) ? value : 0;
}

public abstract class ProbeGrainBase : Grain
{
    private int _inside;
    private int _running;
    private int _max;
    private int _violations;
    private int _calls;

    public Task<int> EnterAsync(int yields) => RunAsync(yields);

    public Task<int> ReadAsync(int yields) => RunAsync(yields);

    public Task<int> InterleaveAsync(int yields) => RunAsync(yields);

    public Task<ProbeStats> GetStatsAsync() => Task.FromResult(new ProbeStats(_max, _violations, _calls));

    public Task BlockAsync(string gateKey) => GrainEvents.Gate(gateKey).WaitAsync();

    public Task BlockInterleavedAsync(string gateKey) => GrainEvents.Gate(gateKey).WaitAsync();

    private async Task<int> RunAsync(int yields)
    {
        _calls++;
        int running = ++_running;
        _max = Math.Max(_max, running);
        for (int i = 0; i < yields; i++)
        {
            CheckExclusive();
            if (i % 2 == 0)
            {
                await Task.Yield();
            }
            else
            {
                await Task.Delay(1);
            }
        }

        CheckExclusive();
        _running--;
        return running;
    }

    // Two threads inside the same activation at once would be a broken turn guarantee, even for reentrant grains.
    private void CheckExclusive()
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            _violations++;
        }

        Thread.SpinWait(500);
        Interlocked.Decrement(ref _inside);
    }
}

public sealed class ProbeGrain : ProbeGrainBase, IProbeGrain
{
}

[Reentrant]
public sealed class ReentrantProbeGrain : ProbeGrainBase, IReentrantProbeGrain
{
}

public sealed class CounterState
{
    public int Value { get; set; }
}

public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> counter) : Grain, ICounterGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        GrainEvents.Activations.AddOrUpdate(GetPrimaryKeyString(), 1, (_, n) => n + 1);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        GrainEvents.Deactivations.AddOrUpdate(GetPrimaryKeyString(), 1, (_, n) => n + 1);
        GrainEvents.LastDeactivationReason[GetPrimaryKeyString()] = reason.Code;
        return Task.CompletedTask;
    }

    public Task<int> AddAsync(int delta)
    {
        counter.State.Value += delta;
        return Task.FromResult(counter.State.Value);
    }

    public async Task<int> AddAndWriteAsync(int delta)
    {
        counter.State.Value += delta;
        await counter.WriteStateAsync();
        return counter.State.Value;
    }

    public async ValueTask<int> IncrementAsync()
    {
        counter.State.Value++;
        await counter.WriteStateAsync();
        return counter.State.Value;
    }

    public Task<int> GetAsync() => Task.FromResult(counter.State.Value);

    public Task<string?> GetEtagAsync() => Task.FromResult(counter.Etag);

    public Task ClearAsync() => counter.ClearStateAsync();

    public Task DeactivateAsync()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public Task DelayDeactivationAsync(TimeSpan timeSpan)
    {
        DelayDeactivation(timeSpan);
        return Task.CompletedTask;
    }
}

public sealed class CounterDirectoryGrain : Grain, ICounterDirectoryGrain
{
    public async Task<string[]> ListAsync()
    {
        IGrainStorageQuery query = GrainStorageQueries.Find(ServiceProvider)
            ?? throw new InvalidOperationException("The default grain storage cannot list stored states.");
        List<string> entries = [];
        await foreach (StoredGrainState<CounterState> counter in query.QueryAsync<CounterState>(
            "counter", new GrainType("test.counter"), GetPrimaryKeyString() + "/", CancellationToken.None))
        {
            entries.Add($"{counter.GrainId.Key}={counter.State.Value}");
        }

        return [.. entries];
    }
}

public sealed class BehaviourGrain : Grain, IBehaviourGrain
{
    private List<int> _stored = [];
    private readonly List<int> _appended = [];

    public Task ThrowAsync(string message) => throw new InvalidOperationException(message);

    public async Task<int> ThrowArgumentAsync(string parameterName)
    {
        await Task.Yield();
        throw new ArgumentException("bad argument", parameterName);
    }

    public ValueTask<int> ThrowArgumentNowAsync(string parameterName) => throw new ArgumentException("bad argument", parameterName);

    public Task HangAsync() => GrainEvents.Gate(GetPrimaryKeyString()).WaitAsync();

    public async Task<bool> WaitForCancellationAsync(CancellationToken cancellationToken)
    {
        GrainEvents.Started[GetPrimaryKeyString()] = true;
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return false;
        }
        catch (OperationCanceledException)
        {
            GrainEvents.Cancelled[GetPrimaryKeyString()] = true;
            throw;
        }
    }

    public Task<List<int>> StoreAsync(List<int> values)
    {
        _stored = values;
        return Task.FromResult(_stored);
    }

    public Task<List<int>> GetStoredAsync() => Task.FromResult(_stored);

    public Task RecordOneWayAsync(string marker)
    {
        GrainEvents.OneWay[GetPrimaryKeyString()] = marker;
        return Task.CompletedTask;
    }

    public ValueTask<int> EchoAsync(int value) => ValueTask.FromResult(value);

    public ValueTask<int> ProcessIdAsync() => ValueTask.FromResult(Environment.ProcessId);

    public async ValueTask<string> DescribeContextAsync()
    {
        await Task.Delay(1);
        bool sameContext = RuntimeContext.Current?.GrainId == GrainId && SynchronizationContext.Current is not null;
        return $"{GrainId}|{sameContext}";
    }

    public Task<int> FirstAttemptHangsIdempotentAsync() => FirstAttemptHangsAsync();

    public ValueTask<int> FirstAttemptHangsIdempotentBundleableAsync() => new(FirstAttemptHangsAsync());

    public ValueTask<int> FirstAttemptHangsBundleableAsync() => new(FirstAttemptHangsAsync());

    public ValueTask<List<int>> AppendAndGetAsync(int value)
    {
        _appended.Add(value);
        return ValueTask.FromResult(_appended);
    }

    public ValueTask<byte[]> FillAsync(int length)
    {
        byte[] bytes = new byte[length];
        bytes.AsSpan().Fill((byte)(length % 251));
        return ValueTask.FromResult(bytes);
    }

    public ValueTask<int> MeasureAsync(byte[] data) => ValueTask.FromResult(data.Length);

    public async ValueTask<int> EchoOrHangAsync(int value)
    {
        if (GetPrimaryKeyString().StartsWith("hang", StringComparison.Ordinal))
        {
            await GrainEvents.Gate(GetPrimaryKeyString()).WaitAsync();
        }

        return value;
    }

    public async Task<int> FirstAttemptHangsAsync()
    {
        int attempt = GrainEvents.Activations.AddOrUpdate("attempt:" + GetPrimaryKeyString(), 1, (_, n) => n + 1);
        if (attempt == 1)
        {
            await GrainEvents.Gate(GetPrimaryKeyString()).WaitAsync();
        }

        return attempt;
    }

    public async Task<int> CallOtherAsync(string otherKey, int value)
    {
        int echoed = await GrainFactory.GetGrain<IBehaviourGrain>(otherKey).EchoAsync(value);
        return echoed + 1;
    }
}

public sealed class FailingActivationGrain : Grain, IFailingActivationGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        int attempt = GrainEvents.Activations.AddOrUpdate(GetPrimaryKeyString(), 1, (_, n) => n + 1);
        if (attempt == 1)
        {
            throw new InvalidOperationException("activation failed on purpose");
        }

        return Task.CompletedTask;
    }

    public Task<int> PingAsync() => Task.FromResult(GrainEvents.Get(GrainEvents.Activations, GetPrimaryKeyString()));
}

public sealed class TimerGrain : Grain, ITimerGrain
{
    private IGrainTimer? _timer;
    private int _concurrent;

    public Task StartTimerAsync(TimeSpan period, bool interleave)
    {
        _timer = RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(period, period) { Interleave = interleave });
        return Task.CompletedTask;
    }

    public Task<int> GetTicksAsync() => Task.FromResult(GrainEvents.Get(GrainEvents.TimerTicks, GetPrimaryKeyString()));

    public Task<int> PeekTicksAsync() => GetTicksAsync();

    public Task StopTimerAsync()
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        string key = GetPrimaryKeyString();
        int concurrent = Interlocked.Increment(ref _concurrent);
        GrainEvents.TimerMaxConcurrent.AddOrUpdate(key, concurrent, (_, max) => Math.Max(max, concurrent));
        GrainEvents.TimerTicks.AddOrUpdate(key, 1, (_, n) => n + 1);
        await GrainEvents.Gate(key).WaitAsync(cancellationToken);
        Interlocked.Decrement(ref _concurrent);
    }
}

public sealed class CallerThreadGrain : Grain, ICallerThreadGrain
{
    // Set only while CallRanInsideCallerAsync is making its call: a callee that sees it ran on the caller's stack.
    [ThreadStatic]
    private static bool t_insideCallerGrain;

    public ValueTask<int> ThreadAsync() => ValueTask.FromResult(Environment.CurrentManagedThreadId);

    public ValueTask<bool> RanInsideCallerAsync() => ValueTask.FromResult(t_insideCallerGrain);

    public async ValueTask<bool> CallRanInsideCallerAsync(string otherKey)
    {
        ValueTask<bool> call;
        t_insideCallerGrain = true;
        try
        {
            call = GrainFactory.GetGrain<ICallerThreadGrain>(otherKey).RanInsideCallerAsync();
        }
        finally
        {
            t_insideCallerGrain = false;
        }

        return await call;
    }
}
