using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Testing;

namespace Pulse.Runtime.Tests.Runtime;

/// <summary>
/// The catalog's activation table: exact add/find/remove semantics through resizes and tombstones, and
/// lock-free lookups that never miss an activation registered before they started.
/// </summary>
public sealed class ActivationTableTests : IAsyncLifetime
{
    private TestSilo _silo = null!;
    private ActivationCatalog _catalog = null!;
    private GrainClassInfo _class = null!;

    public async Task InitializeAsync()
    {
        _silo = await TestSilo.StartAsync(builder => builder.AddMemoryGrainStorage());
        _catalog = _silo.Services.GetRequiredService<ActivationCatalog>();
        _class = _silo.Services.GetRequiredService<GrainClassRegistry>().Classes.First();
    }

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    [Fact]
    public void FindsEveryActivationThroughResizesAndRemovesOnlyTheRegisteredOne()
    {
        var table = new ActivationTable();
        List<GrainActivation> added = [.. Enumerable.Range(0, 5_000).Select(i => NewActivation($"k{i}"))];
        foreach (GrainActivation activation in added)
        {
            Assert.Same(activation, table.GetOrAdd(activation));
        }

        Assert.Equal(5_000, table.Count);
        foreach (GrainActivation activation in added)
        {
            Assert.True(table.TryGetValue(activation.GrainId, out GrainActivation? found));
            Assert.Same(activation, found);
        }

        // A second activation of a registered grain is not added, and removing it changes nothing.
        GrainActivation duplicate = NewActivation("k42");
        Assert.Same(added[42], table.GetOrAdd(duplicate));
        Assert.False(table.TryRemove(duplicate));
        Assert.True(table.TryGetValue(added[42].GrainId, out _));

        Assert.False(table.TryGetValue(GrainId.Create(_class.GrainType.Value, "absent"), out _));
        Assert.Equal(5_000, table.Count);
    }

    [Fact]
    public void RemovedSlotsDoNotBreakProbeChainsAndAreReused()
    {
        var table = new ActivationTable();
        List<GrainActivation> added = [.. Enumerable.Range(0, 2_000).Select(i => NewActivation($"k{i}"))];
        added.ForEach(activation => table.GetOrAdd(activation));

        // Remove every other one: the survivors sit behind tombstones in their probe chains.
        for (int i = 0; i < added.Count; i += 2)
        {
            Assert.True(table.TryRemove(added[i]));
            Assert.False(table.TryRemove(added[i]), "removed twice");
        }

        for (int i = 0; i < added.Count; i++)
        {
            Assert.Equal(i % 2 == 1, table.TryGetValue(added[i].GrainId, out _));
        }

        // Churn far beyond the table's size: tombstones are reclaimed, so the count and contents stay exact.
        for (int round = 0; round < 20; round++)
        {
            List<GrainActivation> churn = [.. Enumerable.Range(0, 1_000).Select(i => NewActivation($"churn{round}/{i}"))];
            churn.ForEach(activation => table.GetOrAdd(activation));
            churn.ForEach(activation => Assert.True(table.TryRemove(activation)));
        }

        Assert.Equal(1_000, table.Count);
        var listed = new HashSet<GrainActivation>();
        foreach (GrainActivation activation in table)
        {
            Assert.True(listed.Add(activation), "listed twice");
        }

        Assert.Equal(added.Where((_, i) => i % 2 == 1).ToHashSet(), listed);

        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.False(table.TryGetValue(added[1].GrainId, out _));
    }

    [Fact]
    public void GrainsWhoseHashesCollideAreToldApartByTheirIds()
    {
        // The table compares the hash it keeps in a slot before reading the activation; equal hashes
        // must still be settled by the full grain id. Birthday search: two of a few hundred thousand keys share one.
        var seen = new Dictionary<uint, string>();
        (string first, string second) = (string.Empty, string.Empty);
        for (int i = 0; first.Length == 0; i++)
        {
            string key = $"collide{i}";
            uint hash = GrainId.Create(_class.GrainType.Value, key).UniformHash;
            if (!seen.TryAdd(hash, key))
            {
                (first, second) = (seen[hash], key);
            }
        }

        var table = new ActivationTable();
        GrainActivation one = NewActivation(first);
        GrainActivation other = NewActivation(second);
        Assert.Equal(one.GrainId.UniformHash, other.GrainId.UniformHash);
        Assert.Same(one, table.GetOrAdd(one));
        Assert.False(table.TryGetValue(other.GrainId, out _), "a grain with the same hash was found before it was added");
        Assert.Same(other, table.GetOrAdd(other));

        Assert.True(table.TryGetValue(one.GrainId, out GrainActivation? found));
        Assert.Same(one, found);
        Assert.True(table.TryGetValue(other.GrainId, out found));
        Assert.Same(other, found);

        // The first one's slot becomes a tombstone that the second one's probe chain passes.
        Assert.True(table.TryRemove(one));
        Assert.False(table.TryGetValue(one.GrainId, out _));
        Assert.True(table.TryGetValue(other.GrainId, out found));
        Assert.Same(other, found);
    }

    [Fact]
    public async Task LockFreeLookupsNeverMissAStableActivationWhileWritersResizeAndChurn()
    {
        var table = new ActivationTable();
        List<GrainActivation> stable = [.. Enumerable.Range(0, 500).Select(i => NewActivation($"stable{i}"))];
        stable.ForEach(activation => table.GetOrAdd(activation));
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        int misses = 0;
        long lookups = 0;

        Task[] writers = [.. Enumerable.Range(0, 2).Select(writer => Task.Run(() =>
        {
            int round = 0;
            while (!stop.IsCancellationRequested)
            {
                // Enough adds to force resizes, then removals that leave tombstones behind.
                List<GrainActivation> churn = [.. Enumerable.Range(0, 3_000).Select(i => NewActivation($"w{writer}/{round}/{i}"))];
                churn.ForEach(activation => table.GetOrAdd(activation));
                churn.ForEach(activation => table.TryRemove(activation));
                round++;
            }
        }))];

        Task[] readers = [.. Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (GrainActivation activation in stable)
                {
                    if (!table.TryGetValue(activation.GrainId, out GrainActivation? found) || !ReferenceEquals(found, activation))
                    {
                        Interlocked.Increment(ref misses);
                    }

                    Interlocked.Increment(ref lookups);
                }
            }
        }))];

        await Task.WhenAll([.. writers, .. readers]);
        Assert.True(lookups > 0);
        Assert.Equal(0, misses);
        Assert.Equal(stable.Count, table.Count);
    }

    private GrainActivation NewActivation(string key) => new(_catalog, GrainId.Create(_class.GrainType.Value, key), _class);
}
