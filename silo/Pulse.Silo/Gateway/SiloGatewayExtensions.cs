namespace Pulse.Silo.Gateway;

/// <summary>Registers the silo-embedded gateway API.</summary>
public static class SiloGatewayExtensions
{
    /// <summary>
    /// Serves the gateway API from this silo when <c>Pulse:Silo:GatewayUrl</c> says so (by default for a
    /// silo that is not a cluster member). Call after <c>AddPulseSiloHost</c>, so it starts after the silo
    /// and stops before it. Safe to call twice.
    /// </summary>
    public static IServiceCollection AddPulseSiloGateway(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(descriptor => descriptor.ServiceType == typeof(EmbeddedGatewayService)))
        {
            return services;
        }

        services.AddSingleton<EmbeddedGatewayService>();
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedGatewayService>());
        return services;
    }
}
