using System.Net;
using Pulse.Runtime.Membership;
using Xunit.Abstractions;

namespace Pulse.Runtime.Tests.EndToEnd;

/// <summary>The gateway process as Kubernetes probes it.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class GatewayProcessTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TheGatewayIsReadyOnlyWhileAnActiveSiloIsUpAndASigtermedSiloLeavesTheCluster()
    {
        await using ProcessCluster cluster = await ProcessCluster.CreateAsync("gateway");
        (PulseProcess gateway, string url) = cluster.StartGateway();
        await gateway.WaitForStatusAsync(cluster.Http, $"{url}/health/live", HttpStatusCode.OK, TimeSpan.FromSeconds(60));
        (_, string noSilo) = await gateway.WaitForStatusAsync(cluster.Http, $"{url}/health/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(5));
        Assert.Contains("No Active silo", noSilo);

        cluster.StartSilo(1);
        await cluster.WaitUntilReadyAsync(1);
        (_, string ready) = await gateway.WaitForStatusAsync(cluster.Http, $"{url}/health/ready", HttpStatusCode.OK, TimeSpan.FromSeconds(10));
        Assert.Contains("1 Active silos", ready);

        // SIGTERM: the silo leaves (ShuttingDown, hand-off, Dead) and exits cleanly; the gateway stops being ready.
        await cluster.StartClientAsync();
        cluster.Silos[1].Signal(PulseProcess.SigTerm);
        int exitCode = await cluster.Silos[1].WaitForExitAsync(TimeSpan.FromSeconds(60));
        (_, string gone) = await gateway.WaitForStatusAsync(cluster.Http, $"{url}/health/ready", HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10));
        MembershipEntry? row = await cluster.ReadRowAsync(1);

        output.WriteLine($"ready: {ready}\nafter SIGTERM: {gone}");
        Assert.Equal(0, exitCode);
        Assert.Equal(SiloStatus.Dead, row?.Status);
        Assert.Contains("No Active silo", gone);
        Assert.True(await cluster.Http.GetAsync($"{url}/health/live") is { StatusCode: HttpStatusCode.OK }, "the gateway process stays live");
    }
}
