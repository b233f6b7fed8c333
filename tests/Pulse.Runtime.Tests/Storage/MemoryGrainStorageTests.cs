using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Storage;

namespace Pulse.Runtime.Tests.Storage;

/// <summary>The compliance suite against <see cref="MemoryGrainStorage"/>; the "store" is a <see cref="MemoryGrainStorageStore"/> shared by the test's providers.</summary>
public sealed class MemoryGrainStorageTests : GrainStorageComplianceTests
{
    private MemoryGrainStorageStore _store = new();

    protected override Task CreateStoreAsync()
    {
        _store = new MemoryGrainStorageStore();
        return Task.CompletedTask;
    }

    protected override Task DeleteStoreAsync() => Task.CompletedTask;

    protected override IGrainStorage CreateProvider(string serviceId) => Create(serviceId, _store);

    private static MemoryGrainStorage Create(string serviceId, MemoryGrainStorageStore? store) => new(
        "test",
        new MemoryGrainStorageOptions { Store = store },
        Serializer,
        Options.Create(new ClusterOptions { ServiceId = serviceId }),
        NullLogger<MemoryGrainStorage>.Instance);

    [Fact]
    public async Task WithoutASharedStoreEachProviderInstanceKeepsItsOwnRecords()
    {
        MemoryGrainStorage first = Create(ServiceId, store: null);
        MemoryGrainStorage second = Create(ServiceId, store: null);
        GrainId grainId = NewGrainId();

        await WriteNewAsync(first, grainId, new ComplianceState { Name = "only in first" });

        Assert.True((await ReadAsync(first, grainId)).RecordExists);
        Assert.False((await ReadAsync(second, grainId)).RecordExists);
    }

    [Fact]
    public async Task ASharedStoreKeepsOneRecordPerKeyIncludingClearedOnes()
    {
        IGrainStorage storage = await CreateInitializedProviderAsync();
        GrainId grainId = NewGrainId();
        TestGrainState<ComplianceState> state = await WriteNewAsync(storage, grainId, new ComplianceState());
        await storage.WriteStateAsync(StateName, grainId, state, CancellationToken.None);
        await storage.ClearStateAsync(StateName, grainId, state, CancellationToken.None);

        Assert.Equal(1, _store.Count);
    }
}
