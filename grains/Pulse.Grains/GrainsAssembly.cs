using Microsoft.Extensions.DependencyInjection;
using Pulse.Grains.Caching;
using Pulse.Runtime;

[assembly: GrainServices(typeof(Pulse.Grains.GrainsAssembly.Services))]

namespace Pulse.Grains;

/// <summary>Anchor type: hosts name this assembly through it when registering grain classes.</summary>
public static class GrainsAssembly
{
    /// <summary>Adds the silo services of these grains when a silo adds the assembly.</summary>
    public sealed class Services : IGrainServicesConfigurator
    {
        /// <inheritdoc />
        public void ConfigureServices(IServiceCollection services) => services.AddPulseGrainServices();
    }
}
