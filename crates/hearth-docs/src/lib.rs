//! Documents Hearth produces and reads, bytes in and bytes out: tagged PDF reports and letters
//! (`pdf`), the quarterly performance workbook and one-sheet tables (`workbook`, `table`), and
//! the ONS Postcode Directory reader (`postcodes`).

pub mod pdf;
pub mod postcodes;
pub mod table;
pub mod workbook;
