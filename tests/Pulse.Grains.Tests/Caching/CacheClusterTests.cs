using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Pulse.GrainInterfaces.Caching;
using Pulse.Grains.Caching;
using Pulse.Runtime;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;
using Xunit;

namespace Pulse.Grains.Tests.Caching;

/// <summary>The cache on a 3-silo test cluster over loopback TCP, with a silo killed.</summary>
public sealed class CacheClusterTests
{
    private const string Tenant = "tc";

    [Fact]
    public async Task AfterTheIndexSiloIsKilledDurableEntriesAreServedAndAPatternDeleteRemovesExactlyTheSurvivors()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3, silo => silo.AddGrainAssembly(typeof(GrainsAssembly).Assembly));
        await using TestClusterClient client = await cluster.CreateClientAsync();
        IGrainFactory grains = client.GrainFactory;

        for (int i = 0; i < 90; i++)
        {
            bool durable = i % 3 == 0;
            var put = new CachePut(Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), CacheEntryOptions.Default with { Durable = durable });
            Assert.Equal(CachePutStatus.Created, (await Entry(grains, i).PutAsync(put)).Status);
        }

        // Another tenant's key (durable, so the kill cannot take it) must survive this tenant's "k:*".
        await grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry("other", "k:1")).PutAsync(new CachePut("1"u8.ToArray(), CacheEntryOptions.Default with { Durable = true }));

        Assert.Equal(90, (await grains.GetGrain<ITenantCacheGrain>(Tenant).GetStatsAsync()).Entries);
        // Kill the silo of the tenant's index, so the index must be rebuilt from the store and the survivors.
        GrainId index = TestSilo.GetGrainId(grains.GetGrain<ITenantCacheGrain>(Tenant));
        TestClusterSilo victim = Assert.Single(cluster.Silos, silo => silo.IsActive(index));
        int heldByVictim = victim.Services.GetRequiredService<CacheSiloActivity>().ForTenant(Tenant).EntryCount;
        Assert.True(heldByVictim > 0, "the hash ring put no entry on the victim silo");

        await cluster.KillSiloAsync(victim);
        await cluster.WaitForStableViewAsync(TimeSpan.FromSeconds(30));

        // Every durable entry is still served; memory-only ones are served unless they lived on the victim.
        int hits = 0;
        for (int i = 0; i < 90; i++)
        {
            CacheGetResult read = await Entry(grains, i).GetAsync(0);
            if (i % 3 == 0)
            {
                Assert.Equal(CacheLookup.Hit, read.Lookup);
                Assert.Equal($"{{\"n\":{i}}}", Encoding.UTF8.GetString(read.Value!));
            }

            hits += read.Lookup == CacheLookup.Hit ? 1 : 0;
        }

        Assert.True(hits < 90, "no memory-only entry was lost with the killed silo");

        // Surviving silos report; if the index itself moved they re-register what they hold.
        foreach (TestClusterSilo silo in cluster.RunningSilos)
        {
            CacheSiloActivity activity = silo.Services.GetRequiredService<CacheSiloActivity>();
            await activity.FlushAsync();
            await activity.FlushAsync();
        }

        Assert.Equal(hits, await grains.GetGrain<ITenantCacheGrain>(Tenant).DeleteMatchingAsync("k:*", null));
        for (int i = 0; i < 90; i++)
        {
            Assert.Equal(CacheLookup.Miss, (await Entry(grains, i).GetAsync(0)).Lookup);
        }

        Assert.Equal(CacheLookup.Hit, (await grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry("other", "k:1")).GetAsync(0)).Lookup);
    }

    [Fact]
    public async Task AfterTheWholeClusterIsKilledTheIndexListsDurableEntriesFromTheStore()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(2, silo => silo.AddGrainAssembly(typeof(GrainsAssembly).Assembly));
        IGrainFactory grains = cluster.Silos[0].GrainFactory;
        for (int i = 0; i < 40; i++)
        {
            var options = CacheEntryOptions.Default with { Durable = i % 2 == 0, Tags = i % 4 == 0 ? ["four"] : [] };
            await Entry(grains, i).PutAsync(new CachePut(Encoding.UTF8.GetBytes($"{i}"), options));
        }

        foreach (TestClusterSilo silo in cluster.Silos.ToArray())
        {
            await cluster.KillSiloAsync(silo);
        }

        await cluster.StartSiloAsync();
        await cluster.StartSiloAsync();
        await cluster.WaitForStableViewAsync(TimeSpan.FromSeconds(30));
        grains = cluster.RunningSilos.First().GrainFactory;

        // Nothing has read an entry yet: the index knows the 20 durable ones only from the store.
        CacheStats stats = await grains.GetGrain<ITenantCacheGrain>(Tenant).GetStatsAsync();
        Assert.Equal((20L, 20L), (stats.Entries, stats.DurableEntries));
        Assert.Equal(10, await grains.GetGrain<ITenantCacheGrain>(Tenant).DeleteMatchingAsync(null, "four"));
        Assert.Equal(10, await grains.GetGrain<ITenantCacheGrain>(Tenant).DeleteMatchingAsync("k:*", null));
        Assert.Equal(CacheLookup.Miss, (await Entry(grains, 2).GetAsync(0)).Lookup);
    }

    private static ICacheEntryGrain Entry(IGrainFactory grains, int i) => grains.GetGrain<ICacheEntryGrain>(CacheKeys.Entry(Tenant, $"k:{i}"));
}
