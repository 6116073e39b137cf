//! C3/C4 persistence: vacancies, block beds, restrictions, package requests, offers (issue 4).
