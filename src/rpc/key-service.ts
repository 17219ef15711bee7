import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { KeyDescriptionSchema, KeyFamily as KeyFamilyEnum, KeyService, type KeyDescription as KeyDescriptionMessage } from "../../gen/learnerstate/v1/key_service_pb.js";
import { invalidArgument } from "../domain/errors.js";
import { describeKey, InvalidKeyError, type KeyDescription, type KeyFamily } from "../domain/keys/index.js";

const familyOfEnum: Partial<Record<KeyFamilyEnum, KeyFamily>> = {
  [KeyFamilyEnum.COURSE]: "CourseKey",
  [KeyFamilyEnum.USAGE]: "UsageKey",
  [KeyFamilyEnum.LEARNING_CONTEXT]: "LearningContextKey",
  [KeyFamilyEnum.DEFINITION]: "DefinitionKey",
  [KeyFamilyEnum.ASSET]: "AssetKey",
  [KeyFamilyEnum.ASIDE_USAGE]: "AsideUsageKey",
  [KeyFamilyEnum.ASIDE_DEFINITION]: "AsideDefinitionKey",
  [KeyFamilyEnum.COLLECTION]: "CollectionKey",
  [KeyFamilyEnum.CONTAINER]: "ContainerKey",
  [KeyFamilyEnum.BLOCK_TYPE]: "BlockTypeKey",
};

// Description field → message field, for the optional string parts. Listed
// one by one so that a part the domain adds never reaches the wire unreviewed.
const stringParts = {
  org: "org",
  course: "course",
  run: "run",
  library: "library",
  slug: "slug",
  branch: "branch",
  version_guid: "versionGuid",
  block_type: "blockType",
  block_id: "blockId",
  asset_type: "assetType",
  path: "path",
  aside_type: "asideType",
  definition_id: "definitionId",
  bundle_uuid: "bundleUuid",
  draft_name: "draftName",
  olx_path: "olxPath",
  collection_id: "collectionId",
  container_type: "containerType",
  container_id: "containerId",
  block_family: "blockFamily",
  course_key: "courseKey",
  context_key: "contextKey",
  library_key: "libraryKey",
  lib_key: "libKey",
  usage_key: "usageKey",
  definition_key: "definitionKey",
  html_id: "htmlId",
  for_branch_none: "forBranchNone",
  version_agnostic: "versionAgnostic",
  map_into_course: "mapIntoCourse",
  map_into_deprecated_course: "mapIntoDeprecatedCourse",
} as const satisfies Record<string, keyof KeyDescriptionMessage>;

function toMessage(description: KeyDescription): KeyDescriptionMessage {
  const message = create(KeyDescriptionSchema, {
    class: description.class,
    namespace: description.namespace,
    canonical: description.canonical,
    deprecated: description.deprecated,
    reparseEqual: description.reparse_equal,
  });
  for (const [part, field] of Object.entries(stringParts)) {
    const value = description[part];
    if (typeof value === "string") message[field] = value;
  }
  if (typeof description["is_course"] === "boolean") message.isCourse = description["is_course"];
  if (typeof description["bundle_version"] === "number") message.bundleVersion = BigInt(description["bundle_version"]);
  return message;
}

/** Implements learnerstate.v1.KeyService on the key grammar of src/domain/keys. */
export function createKeyService(): ServiceImpl<typeof KeyService> {
  return {
    describeKey(request) {
      const family = familyOfEnum[request.family];
      if (family === undefined) {
        throw invalidArgument("INVALID_KEY_FAMILY", "family", `key family ${request.family} is not one of the KeyFamily values`);
      }
      try {
        return { description: toMessage(describeKey(family, request.key)) };
      } catch (error) {
        if (!(error instanceof InvalidKeyError)) throw error;
        throw invalidArgument("INVALID_KEY", "key", `${JSON.stringify(request.key.slice(0, 200))} is not a ${family}: ${error.reason}`, {
          key: request.key.slice(0, 200),
          family,
        });
      }
    },
  };
}
