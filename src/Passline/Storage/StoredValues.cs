using System.Data.Common;
using Microsoft.EntityFrameworkCore;

namespace Passline.Storage;

/// <summary>Parameters for hand-written SQL, each in the stored form of the column it is compared with or written to.</summary>
public static class StoredValues
{
    extension(PasslineDb db)
    {
        /// <summary>
        /// A parameter <paramref name="name"/> holding <paramref name="value"/> as <typeparamref name="T"/>'s property
        /// <paramref name="property"/> is stored, made by that property's EF Core type mapping (its value converter and
        /// the provider's parameter type): an instant as Unix milliseconds on SQLite, a status as its name.
        /// </summary>
        public DbParameter Parameter<T>(string property, string name, object? value)
        {
            using var command = db.Database.GetDbConnection().CreateCommand();
            return db.Model.FindEntityType(typeof(T))!.FindProperty(property)!.GetRelationalTypeMapping().CreateParameter(command, name, value);
        }
    }
}
