using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Pulse.Runtime.Configuration;
using Pulse.Silo.Hosting;

namespace Pulse.Runtime.Tests.Hosting;

public sealed class SiloHostOptionsTests
{
    [Fact]
    public void AutoMembershipIsPostgresWithAConnectionStringAndNoneWithout()
    {
        Assert.Equal(SiloMembershipProvider.None, new SiloHostOptions().EffectiveMembership);
        Assert.False(new SiloHostOptions().IsClusterMember);
        Assert.Equal(SiloMembershipProvider.Postgres, new SiloHostOptions { PostgresConnectionString = "Host=x" }.EffectiveMembership);
        Assert.Equal(SiloMembershipProvider.None, new SiloHostOptions { PostgresConnectionString = "Host=x", Membership = SiloMembershipProvider.None }.EffectiveMembership);
    }

    [Fact]
    public void PostgresMembershipWithoutAConnectionStringFailsNamingTheVariable()
    {
        ValidateOptionsResult result = new SiloHostOptionsValidator().Validate(null, new SiloHostOptions { Membership = SiloMembershipProvider.Postgres });

        Assert.True(result.Failed);
        Assert.Contains("PULSE_POSTGRES", result.FailureMessage);
    }

    [Fact]
    public void AClusterMemberNeedsAShutdownTimeoutLongEnoughToLeave()
    {
        var validator = new SiloHostOptionsValidator();
        var member = new SiloHostOptions { PostgresConnectionString = "Host=x", ShutdownTimeout = TimeSpan.FromSeconds(5) };
        var alone = new SiloHostOptions { ShutdownTimeout = TimeSpan.FromSeconds(5) };

        Assert.Contains("ShutdownTimeout", validator.Validate(null, member).FailureMessage);
        Assert.True(validator.Validate(null, alone).Succeeded);
    }

    [Fact]
    public void AMissingGrainAssemblyFailsAtStart()
    {
        ValidateOptionsResult result = new SiloHostOptionsValidator().Validate(null, new SiloHostOptions { GrainAssemblies = ["/nowhere/Missing.Grains.dll"] });

        Assert.Contains("Missing.Grains.dll", result.FailureMessage);
    }

    [Fact]
    public void ShortVariablesSetNetworkingClusterAndMembershipAndTheHttpPortIsPublished()
    {
        var variables = new Dictionary<string, string>
        {
            ["PULSE_SILO_PORT"] = "11115",
            ["PULSE_CLIENT_PORT"] = "30005",
            ["PULSE_SILO_NAME"] = "silo-5",
            ["PULSE_ADVERTISED_ADDRESS"] = "10.1.2.3",
            ["PULSE_LISTEN_ADDRESS"] = "0.0.0.0",
            ["PULSE_MEMBERSHIP"] = "Sqlite",
            ["PULSE_HTTP_URL"] = "http://127.0.0.1:8085",
        };
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(PulseEnvironment.Read(name => variables.GetValueOrDefault(name)))
            .Build();
        var services = new ServiceCollection();
        services.AddPulseSiloHost(configuration);
        using ServiceProvider provider = services.BuildServiceProvider();

        NetworkingOptions networking = provider.GetRequiredService<IOptions<NetworkingOptions>>().Value;
        ClusterOptions cluster = provider.GetRequiredService<IOptions<ClusterOptions>>().Value;
        SiloHostOptions host = provider.GetRequiredService<IOptions<SiloHostOptions>>().Value;

        Assert.Equal((11115, 30005, "0.0.0.0", "10.1.2.3"), (networking.SiloPort, networking.ClientPort, networking.ListenAddress, networking.AdvertisedAddress));
        Assert.Equal(("silo-5", 8085), (cluster.SiloName, cluster.HttpPort));
        Assert.Equal(SiloMembershipProvider.Sqlite, host.EffectiveMembership);
        Assert.NotNull(provider.GetService<Pulse.Runtime.Membership.IMembershipTable>());
    }
}
