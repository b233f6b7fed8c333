using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

public abstract partial class GrainStorageComplianceTests
{
    [Fact]
    public async Task StatesAreIsolatedByServiceIdGrainTypeKeyAndStateName()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        IGrainStorage otherService = await CreateInitializedProviderAsync(ServiceId + "-other");
        GrainId grainId = GrainId.Create("compliance", "shared-key");
        GrainId otherType = GrainId.Create("compliance2", "shared-key");
        GrainId otherKey = GrainId.Create("compliance", "shared-key2");

        // Each first write has a null ETag, so it succeeds only if no other record shares its key.
        await WriteNewAsync(storage, grainId, new ComplianceState { Count = 1 });
        await WriteNewAsync(otherService, grainId, new ComplianceState { Count = 2 });
        await WriteNewAsync(storage, otherType, new ComplianceState { Count = 3 });
        await WriteNewAsync(storage, otherKey, new ComplianceState { Count = 4 });
        await WriteNewAsync(storage, grainId, new ComplianceState { Count = 5 }, stateName: "settings");

        Assert.Equal(1, (await ReadAsync(storage, grainId)).State.Count);
        Assert.Equal(2, (await ReadAsync(otherService, grainId)).State.Count);
        Assert.Equal(3, (await ReadAsync(storage, otherType)).State.Count);
        Assert.Equal(4, (await ReadAsync(storage, otherKey)).State.Count);
        Assert.Equal(5, (await ReadAsync(storage, grainId, "settings")).State.Count);
        Assert.False((await ReadAsync(otherService, otherKey)).RecordExists);
    }

    [Fact]
    public async Task SchemaInitialisationIsIdempotentWhenRunTwiceAndConcurrently()
    {
        // The store is fresh: these initialisers race to create the schema, as silos starting together do.
        IGrainStorage[] providers = Enumerable.Range(0, 4).Select(_ => CreateTrackedProvider(ServiceId)).ToArray();
        await Task.WhenAll(providers.Select(p => Task.Run(() => ((IStorageInitializer)p).InitializeAsync(CancellationToken.None))));

        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> written = await WriteNewAsync(providers[0], grainId, new ComplianceState { Name = "kept" });

        await ((IStorageInitializer)providers[1]).InitializeAsync(CancellationToken.None);
        await ((IStorageInitializer)providers[1]).InitializeAsync(CancellationToken.None);
        await CreateInitializedProviderAsync();

        TestGrainState<ComplianceState> read = await ReadAsync(providers[3], grainId);
        Assert.Equal("kept", read.State.Name);
        Assert.Equal(written.ETag, read.ETag);
    }

    [Fact]
    public async Task StateWrittenByOneProviderInstanceIsReadByANewInstance()
    {
        IGrainStorage before = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        ComplianceState value = ComplianceState.CreateRich("durable", 3);
        TestGrainState<ComplianceState> written = await WriteNewAsync(before, grainId, value);
        await DisposeProviderAsync(before);

        IGrainStorage after = await CreateInitializedProviderAsync();
        TestGrainState<ComplianceState> read = await ReadAsync(after, grainId);

        Assert.True(read.RecordExists);
        Assert.Equal(written.ETag, read.ETag);
        Assert.Equal(ToJson(value), ToJson(read.State));
        await after.WriteStateAsync(StateName, grainId, read, CancellationToken.None);
    }

    [Fact]
    public async Task MutatingStateAfterWriteOrReadDoesNotChangeTheStoredState()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> written = await WriteNewAsync(storage, grainId, ComplianceState.CreateRich("original", 1));

        written.State.Name = "mutated after write";
        written.State.Tags.Add("extra");
        TestGrainState<ComplianceState> firstRead = await ReadAsync(storage, grainId);
        firstRead.State.Name = "mutated after read";
        firstRead.State.Address!.City = "elsewhere";
        TestGrainState<ComplianceState> secondRead = await ReadAsync(storage, grainId);

        Assert.NotSame(firstRead.State, secondRead.State);
        Assert.Equal("original", secondRead.State.Name);
        Assert.Equal("Kraków", secondRead.State.Address?.City);
        Assert.DoesNotContain("extra", secondRead.State.Tags);
    }

    [Fact]
    public async Task OperationsWithACancelledTokenAreCancelledAndChangeNothing()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> state = await WriteNewAsync(storage, grainId, new ComplianceState { Name = "kept" });
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var changed = new TestGrainState<ComplianceState>(new ComplianceState { Name = "changed" }) { ETag = state.ETag, RecordExists = true };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => storage.ReadStateAsync(StateName, grainId, changed, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => storage.WriteStateAsync(StateName, grainId, changed, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => storage.ClearStateAsync(StateName, grainId, changed, cancelled.Token));

        TestGrainState<ComplianceState> read = await ReadAsync(storage, grainId);
        Assert.Equal("kept", read.State.Name);
        Assert.Equal(state.ETag, read.ETag);
    }
}
