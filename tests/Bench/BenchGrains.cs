using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Bench;

[GrainType("bench.ping")]
public interface IPingGrain : IGrainWithStringKey
{
    ValueTask<int> PingAsync(int value);
}

public sealed class PingGrain : Grain, IPingGrain
{
    private int _calls;

    public ValueTask<int> PingAsync(int value)
    {
        _calls++;
        return ValueTask.FromResult(value + _calls - _calls);
    }
}

[GrainType("bench.empty")]
public interface IEmptyGrain : IGrainWithStringKey
{
    ValueTask TouchAsync();
}

public sealed class EmptyGrain : Grain, IEmptyGrain
{
    public ValueTask TouchAsync() => ValueTask.CompletedTask;
}

public sealed class BenchState
{
    public long Counter { get; set; }

    public string Name { get; set; } = "";
}

[GrainType("bench.writer")]
public interface IWriterGrain : IGrainWithStringKey
{
    Task<long> IncrementAndWriteAsync();
}

public sealed class WriterGrain([PersistentState("bench")] IPersistentState<BenchState> state) : Grain, IWriterGrain
{
    public async Task<long> IncrementAndWriteAsync()
    {
        state.State.Counter++;
        state.State.Name = GetPrimaryKeyString();
        await state.WriteStateAsync();
        return state.State.Counter;
    }
}
