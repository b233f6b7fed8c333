using Pulse.Runtime;

namespace Pulse.Gateway.Hosting;

/// <summary>
/// The grain factory of a gateway started without a cluster: every grain call fails with
/// <see cref="SiloUnavailableException"/>, which the API answers 503, instead of the API refusing to start.
/// </summary>
internal sealed class NoClusterGrainFactory : IGrainFactory
{
    public TGrainInterface GetGrain<TGrainInterface>(string key)
        where TGrainInterface : IGrainWithStringKey =>
        throw new SiloUnavailableException("No cluster is configured: set PULSE_POSTGRES (Pulse:Gateway:PostgresConnectionString).");
}
