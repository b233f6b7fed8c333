using Microsoft.Extensions.Diagnostics.HealthChecks;
using Pulse.Runtime;
using Pulse.Runtime.Storage;

namespace Pulse.Silo.Gateway;

/// <summary>
/// Ready when the silo's default grain storage answers a read of a probe record within two seconds: the
/// API's calls would otherwise hang on grain activation.
/// </summary>
internal sealed class StorageReachableCheck(IGrainStorage storage) : IHealthCheck
{
    private static readonly GrainId s_probe = GrainId.Create("pulse.health", "storage-probe");
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(s_timeout);
        try
        {
            await storage.ReadStateAsync("probe", s_probe, new ProbeState(), limit.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy("Grain storage answers.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"Grain storage is not reachable: {exception.GetType().Name}.");
        }
    }

    private sealed class ProbeState : IGrainState<ProbeRecord>
    {
        public ProbeRecord State { get; set; } = new();

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }

    /// <summary>The probe's (never written) record.</summary>
    public sealed class ProbeRecord
    {
        public int Version { get; set; }
    }
}
