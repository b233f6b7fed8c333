using Pulse.Runtime.Serialization;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Generators;

/// <summary>A grain interface covering every return shape, a cancellation token and every method option.</summary>
[GrainType("generator-test-counter")]
public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> AddAsync(int amount);

    ValueTask<string> DescribeAsync(string prefix, CancellationToken cancellationToken);

    Task ResetAsync();

    ValueTask TouchAsync();

    [OneWay]
    Task NotifyAsync(string message);

    [OneWay]
    ValueTask PingAsync();

    [ReadOnly]
    [AlwaysInterleave]
    Task<int> GetAsync();

    [Idempotent]
    Task<int> AppendAsync(List<string> items, string label);
}

/// <summary>Inherits every method of <see cref="ICounterGrain"/> and takes a grain reference as an argument.</summary>
public interface INamedCounterGrain : ICounterGrain
{
    Task<string?> GetNameAsync();

    Task<string> LinkAsync(ICounterGrain other);
}

/// <summary>The state the sample grain keeps.</summary>
[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)]
    public int Value { get; set; }
}

/// <summary>A service the sample grain depends on.</summary>
public interface ICounterClock
{
    DateTimeOffset Now { get; }
}

/// <summary>A grain class whose constructor needs every kind of parameter the activator resolves.</summary>
public sealed class CounterGrain : Grain, INamedCounterGrain
{
    private readonly IPersistentState<CounterState> _state;
    private readonly List<string> _items = new();

    public CounterGrain(
        IGrainContext context,
        [PersistentState("counter", "store")] IPersistentState<CounterState> state,
        [PersistentState("shadow")] IPersistentState<CounterState> shadow,
        ICounterClock clock,
        IGrainFactory factory,
        IServiceProvider services,
        string label = "unlabelled",
        int limit = 7)
        : base(context)
    {
        _state = state;
        Shadow = shadow;
        Clock = clock;
        Factory = factory;
        Services = services;
        Label = label;
        Limit = limit;
    }

    public IPersistentState<CounterState> State => _state;

    public IPersistentState<CounterState> Shadow { get; }

    public ICounterClock Clock { get; }

    public IGrainFactory Factory { get; }

    public IServiceProvider Services { get; }

    public string Label { get; }

    public int Limit { get; }

    /// <summary>The items the last <see cref="AppendAsync"/> call received, to check what crossed the boundary.</summary>
    public List<string>? LastItems { get; private set; }

    public CancellationToken LastToken { get; private set; }

    public Task<int> AddAsync(int amount)
    {
        _state.State.Value += amount;
        return Task.FromResult(_state.State.Value);
    }

    public ValueTask<string> DescribeAsync(string prefix, CancellationToken cancellationToken)
    {
        LastToken = cancellationToken;
        return new ValueTask<string>($"{prefix}:{_state.State.Value}");
    }

    public Task ResetAsync()
    {
        _state.State.Value = 0;
        return Task.CompletedTask;
    }

    public ValueTask TouchAsync() => default;

    public Task NotifyAsync(string message) => Task.CompletedTask;

    public ValueTask PingAsync() => default;

    public Task<int> GetAsync() => Task.FromResult(_state.State.Value);

    public async Task<int> AppendAsync(List<string> items, string label)
    {
        await Task.Yield();
        LastItems = items;
        _items.AddRange(items);
        return _items.Count;
    }

    public Task<string?> GetNameAsync() => Task.FromResult<string?>(GetPrimaryKeyString());

    public Task<string> LinkAsync(ICounterGrain other) => Task.FromResult(((Invocation.GrainReference)other).GrainId.ToString());
}
