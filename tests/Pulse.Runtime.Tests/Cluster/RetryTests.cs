using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.Cluster;

/// <summary>What happens to a call whose silo dies while it runs.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RetryTests
{
    [Fact]
    public async Task AnIdempotentCallWhoseSiloDiesIsRetriedOnTheNewOwner()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 3, "the client sees three silos");
        string key = Guid.NewGuid().ToString("N");

        Task<int> call = client.GrainFactory.GetGrain<IBehaviourGrain>(key).FirstAttemptHangsIdempotentAsync();
        TestClusterSilo host = await HostOfRunningAttemptAsync(cluster, key);
        await cluster.KillSiloAsync(host);

        Assert.Equal(2, await call.WaitAsync(TimeSpan.FromSeconds(25)));
    }

    [Fact]
    public async Task ANonIdempotentCallWhoseSiloDiesFailsInsteadOfRunningTwice()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(3);
        TestClusterClient client = await cluster.CreateClientAsync();
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == 3, "the client sees three silos");
        string key = Guid.NewGuid().ToString("N");

        Task<int> call = client.GrainFactory.GetGrain<IBehaviourGrain>(key).FirstAttemptHangsAsync();
        TestClusterSilo host = await HostOfRunningAttemptAsync(cluster, key);
        await cluster.KillSiloAsync(host);

        SiloUnavailableException error = await Assert.ThrowsAsync<SiloUnavailableException>(() => call.WaitAsync(TimeSpan.FromSeconds(25)));
        Assert.Contains("may or may not have run", error.Message);
        Assert.Equal(1, GrainEvents.Get(GrainEvents.Activations, "attempt:" + key));
    }

    private static async Task<TestClusterSilo> HostOfRunningAttemptAsync(TestCluster cluster, string key)
    {
        await TestSilo.WaitUntilAsync(() => GrainEvents.Get(GrainEvents.Activations, "attempt:" + key) == 1, "the first attempt is running");
        return Assert.Single(cluster.Silos, silo => silo.ActivationCount > 0);
    }
}
