using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pulse.Gateway.Api.Hosting;
using Pulse.Runtime;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Persistence;
using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests.RateLimiting;

/// <summary>
/// The gateway API with its real tenant quota on real Kestrel, over the grains of one silo or of a
/// 3-silo test cluster reached through a cluster client.
/// </summary>
public sealed class RateLimitGateway : IAsyncDisposable
{
    public const string AdminKey = "ratelimit-admin-key-0123456789abcdef";

    private WebApplication _app = null!;
    private TestSilo? _silo;
    private TestCluster? _cluster;
    private TestClusterClient? _client;

    public CapturingLoggerProvider Logs { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public TestCluster? Cluster => _cluster;

    /// <param name="siloClock">The grains' clock (the gateway keeps the system clock); null for the system clock.</param>
    public static async Task<RateLimitGateway> StartSingleSiloAsync(TimeProvider? siloClock = null)
    {
        var gateway = new RateLimitGateway();
        gateway._silo = await TestSilo.StartAsync(
            silo => silo.AddGrainAssembly(typeof(Pulse.Grains.GrainsAssembly).Assembly).AddMemoryGrainStorage(),
            siloClock is null ? null : services => services.AddSingleton(siloClock));
        await gateway.StartApiAsync(gateway._silo.GrainFactory);
        return gateway;
    }

    public static async Task<RateLimitGateway> StartClusterAsync(int silos)
    {
        var gateway = new RateLimitGateway();
        var store = new MemoryGrainStorageStore();
        gateway._cluster = await TestCluster.StartAsync(silos, silo => silo.AddGrainAssembly(typeof(Pulse.Grains.GrainsAssembly).Assembly).AddMemoryGrainStorage(store: store));
        await gateway._cluster.WaitForStableViewAsync();
        gateway._client = await gateway._cluster.CreateClientAsync();
        TestClusterClient client = gateway._client;
        await TestSilo.WaitUntilAsync(() => client.Client.ActiveSilos.Count == silos, $"the gateway's client sees {silos} silos");
        await gateway.StartApiAsync(gateway._client.GrainFactory);
        return gateway;
    }

    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    /// <summary>Creates a tenant (optionally with a request quota); returns its id and API key.</summary>
    public async Task<(string Id, string ApiKey)> CreateTenantAsync(string? quotaJson = null)
    {
        using HttpClient admin = CreateClient(AdminKey);
        string quota = quotaJson is null ? "" : $",\"requestQuota\":{quotaJson}";
        using HttpResponseMessage response = await admin.PostAsync("/api/v1/admin/tenants", Api.Json($"{{\"name\":\"{Api.UniqueName()}\"{quota}}}"));
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        System.Text.Json.JsonElement tenant = await Api.ReadJsonAsync(response);
        return (tenant.GetProperty("id").GetString()!, tenant.GetProperty("apiKey").GetString()!);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
    }

    private async Task StartApiAsync(IGrainFactory grains)
    {
        _app = await TestGatewayApi.StartAsync(
            grains,
            new Dictionary<string, string?> { ["Pulse:Gateway:AdminKey"] = AdminKey },
            Logs,
            services => services.AddHealthChecks().AddCheck("silo", () => HealthCheckResult.Healthy(), tags: [GatewayHealthTags.Ready]));
        BaseAddress = TestGatewayApi.BaseAddressOf(_app);
    }
}
