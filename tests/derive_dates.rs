//! Date and date-time metadata (`datetime`, as ISO 8601) from chrono and
//! time, and `uuid::Uuid` ids.

use serde::Serialize;
use serde_json::json;
use vectorify_core::{MetadataType, Vectorify};

#[derive(Serialize, Vectorify)]
struct ChronoDates {
    #[vectorify(id)]
    id: uuid::Uuid,
    #[vectorify(metadata)]
    due: chrono::NaiveDate,
    #[vectorify(metadata)]
    local: chrono::NaiveDateTime,
    #[vectorify(metadata)]
    utc: chrono::DateTime<chrono::Utc>,
    #[vectorify(metadata)]
    offset: chrono::DateTime<chrono::FixedOffset>,
    #[vectorify(metadata)]
    paid: Option<chrono::NaiveDate>,
}

#[derive(Serialize, Vectorify)]
struct TimeDates {
    #[vectorify(id)]
    id: u8,
    #[vectorify(metadata)]
    due: time::Date,
    #[vectorify(metadata)]
    local: time::PrimitiveDateTime,
    #[vectorify(metadata)]
    offset: time::OffsetDateTime,
    #[vectorify(metadata)]
    utc: time::UtcDateTime,
}

#[test]
fn chrono_types_are_datetime_metadata_in_iso_8601() {
    use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};

    let record = ChronoDates {
        id: uuid::Uuid::from_u128(0x67e5_5044_10b1_426f_9247_bb68_0e5f_e0c8),
        due: NaiveDate::from_ymd_opt(2023, 10, 1).unwrap(),
        local: NaiveDate::from_ymd_opt(2023, 10, 1)
            .unwrap()
            .and_hms_milli_opt(12, 30, 5, 250)
            .unwrap(),
        utc: Utc.with_ymd_and_hms(2023, 10, 1, 12, 0, 0).unwrap(),
        offset: FixedOffset::east_opt(2 * 3600)
            .unwrap()
            .with_ymd_and_hms(2023, 10, 1, 14, 0, 0)
            .unwrap(),
        paid: None,
    };
    let item = serde_json::to_value(record.to_item()).unwrap();
    assert_eq!(item["id"], json!("67e55044-10b1-426f-9247-bb680e5fe0c8"));
    assert_eq!(
        item["metadata"],
        json!({
            "due": "2023-10-01",
            "local": "2023-10-01T12:30:05.250",
            "utc": "2023-10-01T12:00:00Z",
            "offset": "2023-10-01T14:00:00+02:00",
        })
    );
    for key in ["due", "local", "utc", "offset", "paid"] {
        assert_eq!(
            ChronoDates::collection().metadata_type(key),
            Some(&MetadataType::Datetime),
            "{key}"
        );
    }
    // `data` is what chrono's own serde support writes.
    assert_eq!(item["data"]["utc"], json!("2023-10-01T12:00:00Z"));
    assert_eq!(item["data"].get("paid"), None);
}

#[test]
fn time_types_are_datetime_metadata_in_iso_8601() {
    use time::macros::{date, datetime};

    let record = TimeDates {
        id: 1,
        due: date!(2023 - 10 - 01),
        local: datetime!(2023-10-01 12:30:05.000_001),
        offset: datetime!(2023-10-01 14:00 -03:30),
        utc: datetime!(2023-10-01 12:00 UTC).to_utc(),
    };
    let item = serde_json::to_value(record.to_item()).unwrap();
    assert_eq!(
        item["metadata"],
        json!({
            "due": "2023-10-01",
            "local": "2023-10-01T12:30:05.000001",
            "offset": "2023-10-01T14:00:00-03:30",
            "utc": "2023-10-01T12:00:00Z",
        })
    );
    assert_eq!(
        TimeDates::collection().metadata_type("utc"),
        Some(&MetadataType::Datetime)
    );
}
