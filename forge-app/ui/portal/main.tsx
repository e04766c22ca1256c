/**
 * The service-management portal's request page: the issue panel's own app (same grant details,
 * buttons and forms, same calls), with the portal's wider layout. Its resolver finds the request
 * from the portal's context instead of the issue's.
 */
import '../panel/main';
import './portal.css';
