using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;
using Pulse.Runtime.Placement;
using Pulse.Runtime.Routing;
using Pulse.Runtime.Serialization;
using Pulse.Runtime.Testing;
using Pulse.Runtime.Tests.Networking;
using Pulse.Runtime.Tests.Runtime;

namespace Pulse.Runtime.Tests.Cluster;

/// <summary>
/// Requests that reach a silo which does not own their grain: forwarded to the owner in that silo's
/// view, at most <see cref="MessageRouter.MaxForwardCount"/> times, then answered Retry. Two silos are
/// made to disagree by giving each a view in which only the other is Active, so a request bounces.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ForwardingTests
{
    [Fact]
    public async Task ARequestBouncingBetweenSilosWhoseViewsDisagreeIsForwardedTwiceThenAnsweredRetry()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(2);
        (TestClusterSilo first, TestClusterSilo second) = (cluster.Silos[0], cluster.Silos[1]);
        string key = $"bounce-{Guid.NewGuid():N}";
        RouteEverythingTo(first, second);
        RouteEverythingTo(second, first);
        (SocketTransport connected, ConnectionPreamble _) = await NetworkTestKit.RawConnectAsync(first.Address.Endpoint, NetworkTestKit.SiloPreamble("test"));
        using SocketTransport peer = connected;

        MessageSerializer.Write(peer.Output, AddRequest(first, key, correlationId: 1, delta: 5));
        await peer.Output.FlushAsync();
        Message response = Assert.Single(await NetworkTestKit.ReadMessagesAsync(peer.Input, 1).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(1, response.CorrelationId);
        Assert.Equal(ResponseStatus.Retry, response.Status);
        Assert.Equal(1, first.RequestsForwarded);
        Assert.Equal(1, second.RequestsForwarded);
        Assert.Equal(0, GrainEvents.Get(GrainEvents.Activations, key));
    }

    [Fact]
    public async Task ACallThatKeepsBouncingFailsWithAClearErrorWithoutRunningAndSucceedsOnceTheViewsAgree()
    {
        await using TestCluster cluster = await TestCluster.StartAsync(2);
        (TestClusterSilo first, TestClusterSilo second) = (cluster.Silos[0], cluster.Silos[1]);
        string key = $"bounce-{Guid.NewGuid():N}";
        ICounterGrain grain = first.GrainFactory.GetGrain<ICounterGrain>(key);
        RouteEverythingTo(first, second);
        RouteEverythingTo(second, first);

        SiloUnavailableException error = await Assert.ThrowsAsync<SiloUnavailableException>(() => grain.AddAsync(5).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains($"after {MessageRouter.MaxRoutingAttempts} attempts", error.Message);
        Assert.Contains("does not own the grain", error.Message);
        // Each attempt goes straight to the other silo, which forwards it back (hop 1), which forwards it
        // again (hop 2); the third silo to hold it answers Retry instead of forwarding once more.
        Assert.Equal(MessageRouter.MaxRoutingAttempts * MessageRouter.MaxForwardCount, first.RequestsForwarded + second.RequestsForwarded);
        Assert.Equal(0, GrainEvents.Get(GrainEvents.Activations, key));

        AdoptMembershipView(first);
        AdoptMembershipView(second);

        Assert.Equal(5, await grain.AddAsync(5).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(1, GrainEvents.Get(GrainEvents.Activations, key));
        Assert.Equal(MessageRouter.MaxRoutingAttempts * MessageRouter.MaxForwardCount, first.RequestsForwarded + second.RequestsForwarded);
    }

    /// <summary>
    /// Makes <paramref name="silo"/> route as if <paramref name="owner"/> were the only Active silo. The
    /// view keeps the version of the real one, so it lasts until the membership table changes or
    /// <see cref="AdoptMembershipView"/> puts the real one back.
    /// </summary>
    private static void RouteEverythingTo(TestClusterSilo silo, TestClusterSilo owner)
    {
        PlacementService placement = ClusterOf(silo).Placement;
        ClusterMembershipView real = placement.View;
        ImmutableDictionary<SiloAddress, MembershipEntry> members = real.Members.ToImmutableDictionary(
            pair => pair.Key,
            pair => pair.Key == owner.Address ? pair.Value : pair.Value with { Status = SiloStatus.ShuttingDown });
        placement.OnViewChanged(new ClusterMembershipView(real.Version, members));
        Assert.Equal([owner.Address], silo.ActiveSilos);
    }

    /// <summary>Puts back the view <paramref name="silo"/>'s membership agent holds (same version as the one it replaces).</summary>
    private static void AdoptMembershipView(TestClusterSilo silo)
    {
        SiloCluster cluster = ClusterOf(silo);
        cluster.Placement.OnViewChanged(cluster.Agent.CurrentView);
        Assert.Equal(2, silo.ActiveSilos.Count);
    }

    private static SiloCluster ClusterOf(TestClusterSilo silo) => silo.Services.GetRequiredService<global::Pulse.Runtime.Hosting.Silo>().Cluster!;

    /// <summary>A request for <see cref="ICounterGrain.AddAsync"/> as another silo would send it, never forwarded yet.</summary>
    private static Message AddRequest(TestClusterSilo silo, string key, long correlationId, int delta)
    {
        Assert.True(GeneratedCodeRegistry.TryGetGrainInterface(typeof(ICounterGrain), out GrainInterfaceDescriptor counter));
        GrainMethodDescriptor add = counter.Methods.Single(method => method.MethodName == nameof(ICounterGrain.AddAsync));
        var arguments = new PulseWriter();
        Codec<int>.Instance.WriteField(arguments, 0, delta);
        return new Message
        {
            Kind = MessageKind.Request,
            CorrelationId = correlationId,
            Target = ((GrainReference)silo.GrainFactory.GetGrain<ICounterGrain>(key)).GrainId,
            InterfaceType = add.GrainType,
            MethodId = add.MethodId,
            TimeToLiveMilliseconds = 30_000,
            Body = arguments.ToArray(),
        };
    }
}
