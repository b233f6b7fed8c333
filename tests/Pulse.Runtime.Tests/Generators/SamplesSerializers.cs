using Pulse.Runtime.Serialization;
namespace Pulse.Runtime.Tests.Generators;

/// <summary>A positional record: members map to the primary constructor.</summary>
[GenerateSerializer]
public sealed record PersonRecord([property: Id(0)] string Name, [Id(1)] int Age, [property: Id(2)] AddressClass? Address);

/// <summary>A mutable class with a nested collection.</summary>
[GenerateSerializer]
public sealed class AddressClass
{
    [Id(0)]
    public string Street { get; set; } = string.Empty;

    [Id(1)]
    public List<string> Lines { get; set; } = new();
}

/// <summary>A mutable struct with public fields and a nested [GenerateSerializer] member.</summary>
[GenerateSerializer]
public struct PointStruct
{
    [Id(0)]
    public int X;

    [Id(1)]
    public int Y;

    [Id(2)]
    public TagRecord? Tag;
}

/// <summary>Immutable by construction: a positional record with init-only members of immutable types.</summary>
[GenerateSerializer]
public sealed record TagRecord([property: Id(0)] string Name, [property: Id(1)] DateTimeOffset Created);

/// <summary>Members declared on a [GenerateSerializer] base class are serialized with the derived ones.</summary>
[GenerateSerializer]
public class BaseEvent
{
    [Id(0)]
    public string Source { get; set; } = string.Empty;
}

/// <summary>An init-only member next to inherited settable ones.</summary>
[GenerateSerializer]
public sealed class DerivedEvent : BaseEvent
{
    [Id(1)]
    public int Code { get; init; }
}

/// <summary>Version 1 of a message.</summary>
[GenerateSerializer]
public sealed class OrderV1
{
    [Id(0)]
    public string Id { get; set; } = string.Empty;

    [Id(1)]
    public int Quantity { get; set; }
}

/// <summary>Version 2 of the same message: one more member with a default that older data must keep.</summary>
[GenerateSerializer]
public sealed class OrderV2
{
    [Id(0)]
    public string Id { get; set; } = string.Empty;

    [Id(1)]
    public int Quantity { get; set; }

    [Id(2)]
    public string Note { get; set; } = "none";
}
