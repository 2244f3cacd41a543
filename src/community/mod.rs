//! Community governance and social organisations (基层治理, DOMAIN.md §5): community
//! consultations, the registry of social organisations with status history, yearly
//! inspections and welfare activities, cases against illegal organisations, and the
//! community ledgers; the lists of work items admitted to communities and of certificates
//! a community may issue, with the certificates issued; community workers; volunteers with
//! service hours and star levels; social workers.

pub mod certificates_store;
pub mod certificates_web;
pub mod consultation_store;
pub mod consultations_web;
pub mod demo;
pub mod demo_people;
pub mod illegal_web;
pub mod ledgers;
pub mod model;
pub mod org_store;
pub mod orgs_web;
pub mod socialworkers;
pub mod socialworkers_web;
pub mod volunteers;
pub mod volunteers_certificate;
pub mod volunteers_person;
pub mod volunteers_store;
pub mod volunteers_web;
pub mod workers;
pub mod workers_store;
pub mod workers_web;
pub mod workitems;
pub mod workitems_store;
pub mod workitems_web;

/// The routes of the lists, certificates, community workers, volunteers and social workers.
pub fn people_routes() -> crate::auth::Routes {
    workitems_web::routes()
        .merge(certificates_web::routes())
        .merge(workers_web::routes())
        .merge(volunteers_web::routes())
        .merge(socialworkers_web::routes())
}
