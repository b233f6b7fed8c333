using System.Text;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

/// <summary>
/// The behaviour every grain storage provider must show. A provider's test class derives from this,
/// says how to make a fresh store (a memory store, a database file, a database) and a provider on it,
/// and so runs every test here; it may add provider-specific tests of its own.
/// </summary>
public abstract partial class GrainStorageComplianceTests : IAsyncLifetime
{
    protected const string StateName = "profile";

    private const int ConcurrentRounds = 40;

    private readonly List<IGrainStorage> _providers = [];

    /// <summary>The serializer every provider in these tests uses.</summary>
    protected static IGrainStateSerializer Serializer { get; } =
        new JsonGrainStateSerializer(Options.Create(new GrainStateSerializerOptions()));

    /// <summary>This test's service id; unique so that nothing else in the store can interfere.</summary>
    protected string ServiceId { get; } = "svc-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A grain id unique to this test.</summary>
    protected static GrainId NewGrainId(string type = "compliance") => GrainId.Create(type, "grain-" + Guid.NewGuid().ToString("N"));

    /// <summary>Creates this test's fresh, empty store (no schema yet).</summary>
    protected abstract Task CreateStoreAsync();

    /// <summary>Deletes this test's store; providers are disposed before.</summary>
    protected abstract Task DeleteStoreAsync();

    /// <summary>A new provider instance on this test's store, not yet initialised.</summary>
    protected abstract IGrainStorage CreateProvider(string serviceId);

    public Task InitializeAsync() => CreateStoreAsync();

    public async Task DisposeAsync()
    {
        foreach (IGrainStorage provider in _providers)
        {
            await DisposeProviderAsync(provider);
        }

        await DeleteStoreAsync();
    }

    /// <summary>A provider on this test's store, schema initialised, disposed at the end of the test.</summary>
    protected async Task<IGrainStorage> CreateInitializedProviderAsync(string? serviceId = null)
    {
        IGrainStorage provider = CreateTrackedProvider(serviceId ?? ServiceId);
        await ((IStorageInitializer)provider).InitializeAsync(CancellationToken.None);
        return provider;
    }

    protected IGrainStorage CreateTrackedProvider(string serviceId)
    {
        IGrainStorage provider = CreateProvider(serviceId);
        _providers.Add(provider);
        return provider;
    }

    protected static async Task DisposeProviderAsync(IGrainStorage provider)
    {
        if (provider is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else if (provider is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    protected static string ToJson(ComplianceState state) => Encoding.UTF8.GetString(Serializer.Serialize(state));

    protected static async Task<TestGrainState<ComplianceState>> ReadAsync(IGrainStorage storage, GrainId grainId, string stateName = StateName)
    {
        var state = new TestGrainState<ComplianceState>(new ComplianceState { Name = "not read yet" }) { ETag = "bogus", RecordExists = true };
        await storage.ReadStateAsync(stateName, grainId, state, CancellationToken.None);
        return state;
    }

    protected static async Task<TestGrainState<ComplianceState>> WriteNewAsync(IGrainStorage storage, GrainId grainId, ComplianceState value, string stateName = StateName)
    {
        var state = new TestGrainState<ComplianceState>(value);
        await storage.WriteStateAsync(stateName, grainId, state, CancellationToken.None);
        return state;
    }

    [Fact]
    public async Task ReadingAMissingRecordGivesDefaultStateNullEtagAndNoRecord()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();

        TestGrainState<ComplianceState> state = await ReadAsync(storage, NewGrainId());

        Assert.Null(state.ETag);
        Assert.False(state.RecordExists);
        Assert.NotNull(state.State);
        Assert.Equal(string.Empty, state.State.Name);
        Assert.Equal(0, state.State.Count);
        Assert.Empty(state.State.Tags);
        Assert.Null(state.State.Address);
    }

    [Fact]
    public async Task WrittenStateReadsBackWithNestedObjectsListsAndUnicodeText()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        ComplianceState written = ComplianceState.CreateRich("Zoë Łukasiewicz — 東京 🚀", 42);

        TestGrainState<ComplianceState> writer = await WriteNewAsync(storage, grainId, written);
        TestGrainState<ComplianceState> read = await ReadAsync(storage, grainId);

        Assert.True(writer.RecordExists);
        Assert.NotNull(writer.ETag);
        Assert.True(read.RecordExists);
        Assert.Equal(writer.ETag, read.ETag);
        Assert.Equal("Zoë Łukasiewicz — 東京 🚀", read.State.Name);
        Assert.Equal("Αθήνα", read.State.Address?.Previous?.City);
        Assert.Equal([long.MaxValue, -1], read.State.Scores["p99"]);
        Assert.Equal(ToJson(written), ToJson(read.State));
    }

    [Fact]
    public async Task EachWriteChangesTheEtag()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        var state = new TestGrainState<ComplianceState>(new ComplianceState());
        HashSet<string> etags = [];

        for (int i = 0; i < 5; i++)
        {
            state.State.Count = i;
            await storage.WriteStateAsync(StateName, grainId, state, CancellationToken.None);
            Assert.NotNull(state.ETag);
            Assert.True(etags.Add(state.ETag), $"write {i} reused ETag {state.ETag}");
        }

        Assert.Equal(state.ETag, (await ReadAsync(storage, grainId)).ETag);
    }

    [Fact]
    public async Task WriteWithAStaleEtagThrowsAndLeavesTheStoredStateUnchanged()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> first = await WriteNewAsync(storage, grainId, new ComplianceState { Name = "v1" });
        string staleEtag = first.ETag!;
        first.State = new ComplianceState { Name = "v2" };
        await storage.WriteStateAsync(StateName, grainId, first, CancellationToken.None);

        var stale = new TestGrainState<ComplianceState>(new ComplianceState { Name = "lost update" }) { ETag = staleEtag, RecordExists = true };
        InconsistentStateException exception = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateName, grainId, stale, CancellationToken.None));

        Assert.Equal(first.ETag, exception.StoredEtag);
        Assert.Equal(staleEtag, exception.CurrentEtag);
        Assert.Equal(staleEtag, stale.ETag);
        TestGrainState<ComplianceState> read = await ReadAsync(storage, grainId);
        Assert.Equal("v2", read.State.Name);
        Assert.Equal(first.ETag, read.ETag);
    }

    [Fact]
    public async Task AnEtagThatIsNotAVersionIsStale()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        await WriteNewAsync(storage, grainId, new ComplianceState { Name = "kept" });

        var foreign = new TestGrainState<ComplianceState>(new ComplianceState { Name = "intruder" }) { ETag = "W/\"abc\"" };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, foreign, CancellationToken.None));

        Assert.Equal("kept", (await ReadAsync(storage, grainId)).State.Name);
    }

    [Fact]
    public async Task OfTwoConcurrentWritersWithTheSameEtagExactlyOneSucceeds()
    {
        // Two provider instances, as two silos that both believe they own the grain.
        IGrainStorage first = await CreateInitializedProviderAsync();
        IGrainStorage second = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        string? etag = (await WriteNewAsync(first, grainId, new ComplianceState { Name = "start" })).ETag;
        using var barrier = new Barrier(2);

        for (int round = 0; round < ConcurrentRounds; round++)
        {
            var a = new TestGrainState<ComplianceState>(new ComplianceState { Name = "a", Count = round }) { ETag = etag, RecordExists = true };
            var b = new TestGrainState<ComplianceState>(new ComplianceState { Name = "b", Count = round }) { ETag = etag, RecordExists = true };

            Exception?[] outcomes = await Task.WhenAll(
                StartTogether(barrier, () => TryWriteAsync(first, grainId, a)),
                StartTogether(barrier, () => TryWriteAsync(second, grainId, b)));

            Assert.Equal(1, outcomes.Count(o => o is null));
            Exception failure = Assert.Single(outcomes, o => o is not null)!;
            Assert.IsType<InconsistentStateException>(failure);

            TestGrainState<ComplianceState> winner = outcomes[0] is null ? a : b;
            TestGrainState<ComplianceState> read = await ReadAsync(first, grainId);
            Assert.Equal(winner.State.Name, read.State.Name);
            Assert.Equal(round, read.State.Count);
            Assert.Equal(winner.ETag, read.ETag);
            etag = read.ETag;
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a thread of its own once the other writer is ready too: a
    /// provider that completes synchronously (memory) would otherwise often run the two writers one
    /// after the other on a busy thread pool, and a race in it would go unseen.
    /// </summary>
    private static Task<Exception?> StartTogether(Barrier barrier, Func<Task<Exception?>> write) =>
        Task.Factory.StartNew(
            () =>
            {
                barrier.SignalAndWait();
                return write();
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();

    private static async Task<Exception?> TryWriteAsync(IGrainStorage storage, GrainId grainId, TestGrainState<ComplianceState> state)
    {
        try
        {
            await storage.WriteStateAsync(StateName, grainId, state, CancellationToken.None);
            return null;
        }
        catch (Exception exception)
        {
            return exception;
        }
    }

    [Fact]
    public async Task FirstWriteWithANullEtagWhenARecordExistsThrows()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> existing = await WriteNewAsync(storage, grainId, new ComplianceState { Name = "first" });

        InconsistentStateException exception = await Assert.ThrowsAsync<InconsistentStateException>(
            () => WriteNewAsync(storage, grainId, new ComplianceState { Name = "second" }));

        Assert.Equal(existing.ETag, exception.StoredEtag);
        Assert.Null(exception.CurrentEtag);
        Assert.Equal("first", (await ReadAsync(storage, grainId)).State.Name);
    }

    [Fact]
    public async Task ClearThenReadGivesNoRecordAndTheClearedEtagWritesWhileThePreClearEtagIsStale()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> state = await WriteNewAsync(storage, grainId, ComplianceState.CreateRich("to clear", 7));
        string preClearEtag = state.ETag!;

        await storage.ClearStateAsync(StateName, grainId, state, CancellationToken.None);

        Assert.False(state.RecordExists);
        Assert.NotNull(state.ETag);
        Assert.NotEqual(preClearEtag, state.ETag);
        TestGrainState<ComplianceState> read = await ReadAsync(storage, grainId);
        Assert.False(read.RecordExists);
        Assert.Equal(state.ETag, read.ETag);
        Assert.Equal(string.Empty, read.State.Name);
        Assert.Null(read.State.Address);

        var stale = new TestGrainState<ComplianceState>(new ComplianceState { Name = "resurrected" }) { ETag = preClearEtag, RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync(StateName, grainId, stale, CancellationToken.None));
        await Assert.ThrowsAsync<InconsistentStateException>(() => WriteNewAsync(storage, grainId, new ComplianceState { Name = "as if new" }));

        read.State = new ComplianceState { Name = "after clear" };
        await storage.WriteStateAsync(StateName, grainId, read, CancellationToken.None);
        TestGrainState<ComplianceState> after = await ReadAsync(storage, grainId);
        Assert.True(after.RecordExists);
        Assert.Equal("after clear", after.State.Name);
        Assert.Equal(read.ETag, after.ETag);
    }

    [Fact]
    public async Task ClearWithAStaleEtagThrowsAndKeepsTheState()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> state = await WriteNewAsync(storage, grainId, new ComplianceState { Name = "v1" });
        string staleEtag = state.ETag!;
        await storage.WriteStateAsync(StateName, grainId, state, CancellationToken.None);

        var stale = new TestGrainState<ComplianceState>(new ComplianceState()) { ETag = staleEtag, RecordExists = true };
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, stale, CancellationToken.None));
        var unaware = new TestGrainState<ComplianceState>(new ComplianceState());
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.ClearStateAsync(StateName, grainId, unaware, CancellationToken.None));

        TestGrainState<ComplianceState> read = await ReadAsync(storage, grainId);
        Assert.True(read.RecordExists);
        Assert.Equal("v1", read.State.Name);
        Assert.Equal(state.ETag, read.ETag);
    }

    [Fact]
    public async Task ClearingARecordThatNeverExistedIsANoOp()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        var state = new TestGrainState<ComplianceState>(new ComplianceState { Name = "unsaved" });

        await storage.ClearStateAsync(StateName, grainId, state, CancellationToken.None);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        TestGrainState<ComplianceState> read = await ReadAsync(storage, grainId);
        Assert.Null(read.ETag);
        Assert.False(read.RecordExists);
        await WriteNewAsync(storage, grainId, new ComplianceState { Name = "first write still works" });
    }
}
