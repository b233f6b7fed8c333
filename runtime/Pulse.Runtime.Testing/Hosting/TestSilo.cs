using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pulse.Runtime.Catalog;
using Pulse.Runtime.Hosting;
using Pulse.Runtime.Invocation;

namespace Pulse.Runtime.Testing;

/// <summary>
/// One silo in this process with its own host, for tests and benchmarks. Configure storage and
/// options through the builder callbacks; use <see cref="GrainFactory"/> to call grains.
/// </summary>
public sealed class TestSilo : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private TestSilo(IHost host)
    {
        _host = host;
        GrainFactory = host.Services.GetRequiredService<IGrainFactory>();
    }

    /// <summary>Creates references to grains hosted by this silo.</summary>
    public IGrainFactory GrainFactory { get; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Number of activations currently in the catalog.</summary>
    public int ActivationCount => Catalog.ActivationCount;

    private ActivationCatalog Catalog => _host.Services.GetRequiredService<ActivationCatalog>();

    /// <summary>Starts a silo.</summary>
    /// <param name="configureSilo">Adds storage providers and options.</param>
    /// <param name="configureServices">Adds or replaces services (for example a <see cref="TimeProvider"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<TestSilo> StartAsync(
        Action<ISiloBuilder>? configureSilo = null,
        Action<IServiceCollection>? configureServices = null,
        CancellationToken cancellationToken = default)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddPulseSilo(configureSilo);
        configureServices?.Invoke(builder.Services);
        IHost host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new TestSilo(host);
    }

    /// <summary>Whether the grain currently has an activation here.</summary>
    public bool IsActive(GrainId grainId) => Catalog.TryGetActivation(grainId, out _);

    /// <summary>The grain id a reference points at.</summary>
    public static GrainId GetGrainId(object grainReference) =>
        grainReference is GrainReference reference ? reference.GrainId : throw new ArgumentException("Not a grain reference.", nameof(grainReference));

    /// <summary>
    /// Waits until the grain's activation has finished all bookkeeping after its last request (a
    /// caller resumes as soon as its result is set, slightly before that); use it before moving a
    /// manual clock.
    /// </summary>
    public Task WaitUntilQuiescentAsync(object grainReference)
    {
        GrainId grainId = GetGrainId(grainReference);
        return WaitUntilAsync(
            () => !Catalog.TryGetActivation(grainId, out GrainActivation? activation) || activation.IsQuiescent,
            $"grain {grainId} has no running or queued work");
    }

    /// <summary>
    /// Deactivates the grain's activation here (as DeactivateOnIdle would, state written first) and
    /// waits until it is gone; does nothing when the grain is not active here.
    /// </summary>
    public async Task DeactivateAsync(GrainId grainId)
    {
        if (Catalog.TryGetActivation(grainId, out GrainActivation? activation))
        {
            activation.Deactivate(new DeactivationReason(DeactivationReasonCode.ApplicationRequested, "Deactivated by a test."));
            await activation.WaitForDeactivationAsync();
        }
    }

    /// <summary>Runs idle collection now instead of waiting for the next quantum; returns how many were asked to deactivate.</summary>
    public int CollectIdleActivations() => Catalog.CollectIdleActivations();

    /// <summary>Waits (bounded, polling) until <paramref name="condition"/> holds; fails with a clear message otherwise.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        TimeSpan limit = timeout ?? TimeSpan.FromSeconds(10);
        DateTime deadline = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Gave up after {limit} waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Stops the silo gracefully (deactivates everything, writing changed state).</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _host.StopAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _host.Dispose();
    }
}
