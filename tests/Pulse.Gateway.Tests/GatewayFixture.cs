using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Pulse.Gateway.Api.Authentication;
using Pulse.Gateway.Api.Hosting;
using Pulse.Gateway.Api.Problems;
using Pulse.Runtime;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Testing;

namespace Pulse.Gateway.Tests;

/// <summary>
/// One in-process silo hosting Pulse.Grains on memory storage, and the gateway API on real Kestrel at
/// a free loopback port, calling that silo's grains. Shared by the tests of a class.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";

    /// <summary>Tenants whose name starts with this are refused by the test quota hook.</summary>
    public const string BlockedNamePrefix = "blocked-";

    public const string SecretExceptionText = "connection string Password=hunter2 at /srv/internal";

    /// <summary>Small, so the 413 tests need small bodies.</summary>
    public const long MaxBodyBytes = 4096;

    private WebApplication? _app;

    public TestSilo Silo { get; private set; } = null!;

    public CapturingLoggerProvider Logs { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider ApiServices => _app!.Services;

    public async Task InitializeAsync()
    {
        Silo = await TestSilo.StartAsync(silo =>
        {
            silo.AddGrainAssembly(typeof(Pulse.Grains.GrainsAssembly).Assembly);
            silo.AddMemoryGrainStorage();
        });

        _app = await TestGatewayApi.StartAsync(
            Silo.GrainFactory,
            new Dictionary<string, string?>
            {
                ["Pulse:Gateway:AdminKey"] = AdminKey,
                ["Pulse:Gateway:MaxRequestBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
            Logs,
            services =>
            {
                services.AddSingleton<ITenantRequestQuota, BlockNamedTenantsQuota>();
                services.AddHealthChecks().AddCheck("silo", () => HealthCheckResult.Healthy(), tags: [GatewayHealthTags.Ready]);
            },
            app =>
            {
                // What a service engineer adds: a tenant route group of its own, and an endpoint that fails.
                app.MapTenantApi("probe").MapGet("/whoami", (HttpContext context) => Results.Text(context.GetTenant().TenantId));
                app.MapGet("/test/throw", string () => throw new InvalidOperationException(SecretExceptionText));

                // The grain store failing, as a grain call surfaces it: directly, or while a grain activated.
                app.MapGet("/test/store-down", string () => throw new GrainStorageException(SecretExceptionText, new TimeoutException()));
                app.MapGet("/test/store-down-on-activation", string () => throw new GrainActivationException(
                    "Activation of grain cache.entry/t/k failed", new GrainStorageException(SecretExceptionText)));
            });
        BaseAddress = TestGatewayApi.BaseAddressOf(_app);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Silo.DisposeAsync();
    }

    /// <summary>A client without automatic decompression, so tests see the encoding on the wire.</summary>
    public HttpClient CreateClient(string? bearer = null)
    {
        var client = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }) { BaseAddress = BaseAddress };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return client;
    }

    public HttpClient CreateAdminClient() => CreateClient(AdminKey);
}

/// <summary>A stand-in for the real quota: refuses tenants by name, so tests see the hook run after authentication.</summary>
public sealed class BlockNamedTenantsQuota : ITenantRequestQuota
{
    public ValueTask<IResult?> CheckAsync(HttpContext context, TenantContext tenant, CancellationToken cancellationToken) =>
        ValueTask.FromResult(tenant.Name.StartsWith(GatewayFixture.BlockedNamePrefix, StringComparison.Ordinal)
            ? ApiResults.Problem(StatusCodes.Status429TooManyRequests, $"Tenant {tenant.TenantId} is over its quota of {tenant.RequestQuota.Limit}.")
            : null);
}
