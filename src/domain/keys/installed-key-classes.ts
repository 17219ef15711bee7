// The key classes installed in this service: importing a key module registers its
// namespaces (the counterpart of the Python packages' entry points, including the
// separately packaged edx-ccx-keys). A new key kind is a new module plus one line here.
import "./course-locator.js";
import "./library-locator.js";
import "./ccx-locator.js";
import "./library-locator-v2.js";
import "./block-usage-locator.js";
import "./library-usage-locator.js";
import "./ccx-block-usage-locator.js";
import "./deprecated-location.js";
import "./library-usage-locator-v2.js";
import "./asset-locator.js";
import "./definition-locator.js";
import "./bundle-definition-locator.js";
import "./aside-usage-key.js";
import "./aside-definition-key.js";
import "./library-collection-locator.js";
import "./library-container-locator.js";
import "./block-type-key.js";
