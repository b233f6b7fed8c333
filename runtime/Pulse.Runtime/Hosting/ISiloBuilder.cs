using Microsoft.Extensions.DependencyInjection;

namespace Pulse.Runtime.Hosting;

/// <summary>Configures a silo: storage providers, grain assemblies, options.</summary>
public interface ISiloBuilder
{
    /// <summary>The host's services.</summary>
    IServiceCollection Services { get; }
}

/// <summary>The default <see cref="ISiloBuilder"/>.</summary>
internal sealed class SiloBuilder(IServiceCollection services) : ISiloBuilder
{
    public IServiceCollection Services { get; } = services;
}
