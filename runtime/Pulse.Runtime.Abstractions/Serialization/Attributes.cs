namespace Pulse.Runtime.Serialization;

/// <summary>
/// Asks the source generator for a binary codec and a deep copier for this type. Members to serialize
/// carry <see cref="IdAttribute"/>. The type needs either a parameterless constructor with settable or
/// init-only members, or a constructor whose parameters match the members by name (records).
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Enum, Inherited = false)]
public sealed class GenerateSerializerAttribute : Attribute
{
}

/// <summary>
/// The wire id of a serialized member. Ids are the contract: never reuse one for another meaning;
/// readers skip ids they do not know and leave missing members at their defaults.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class IdAttribute(uint id) : Attribute
{
    /// <summary>The id.</summary>
    public uint Id { get; } = id;
}

/// <summary>
/// Declares that instances of a type are never mutated after construction, so they cross grain
/// boundaries without being copied.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Struct, Inherited = false)]
public sealed class ImmutableAttribute : Attribute
{
}
