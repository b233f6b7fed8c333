namespace Pulse.Runtime;

/// <summary>
/// Gives a grain interface the stable alias used as its <see cref="GrainType"/>. Without it the alias
/// is the interface's full name. Renaming or moving an interface without an alias changes the
/// identity (and placement) of all its grains, so long-lived grains should carry one.
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class GrainTypeAttribute(string alias) : Attribute
{
    /// <summary>The alias.</summary>
    public string Alias { get; } = alias;
}

/// <summary>
/// Lets requests to a grain class interleave at <c>await</c> points. Execution stays
/// single-threaded: interleaved requests never run in parallel, only alternate between awaits.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class ReentrantAttribute : Attribute
{
}

/// <summary>
/// Lets calls to this interface method interleave with any other request of the grain, both ways: such a
/// call starts even while other requests run, and while it is suspended at an <c>await</c> other
/// requests start as if it were not there (so a long poll never holds up the write it waits for).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class AlwaysInterleaveAttribute : Attribute
{
}

/// <summary>
/// Declares that this interface method does not change grain state, so calls to read-only methods
/// may interleave with each other (never with a non-read-only request).
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class ReadOnlyAttribute : Attribute
{
}

/// <summary>
/// A one-way call: the caller's task completes as soon as the message is accepted and no response
/// (not even an exception) is sent back. The method must return <see cref="Task"/> or <see cref="ValueTask"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class OneWayAttribute : Attribute
{
}

/// <summary>
/// Declares that running this method twice has the same effect as running it once, so a client
/// may retry it when the silo that was handling it died.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = true)]
public sealed class IdempotentAttribute : Attribute
{
}

/// <summary>Overrides how long an idle activation of this grain class is kept before it is collected.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class CollectionAgeLimitAttribute : Attribute
{
    /// <summary>Creates the attribute from a number of minutes.</summary>
    public CollectionAgeLimitAttribute(double minutes) => Age = TimeSpan.FromMinutes(minutes);

    /// <summary>The idle age after which activations are collected.</summary>
    public TimeSpan Age { get; }
}

/// <summary>
/// Names the <see cref="IGrainServicesConfigurator"/> of a grain assembly: a silo that adds the assembly
/// also adds the services its grains depend on, so no host can forget them.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class GrainServicesAttribute(Type configurator) : Attribute
{
    /// <summary>A type implementing <see cref="IGrainServicesConfigurator"/> with a parameterless constructor.</summary>
    public Type Configurator { get; } = configurator;
}

/// <summary>Adds the silo services a grain assembly's grains depend on.</summary>
public interface IGrainServicesConfigurator
{
    /// <summary>Adds the services; called once per silo that adds the assembly.</summary>
    void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services);
}
