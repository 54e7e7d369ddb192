import { Tags } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Classification, CLASSIFICATION_TAG } from '../../classification';

/** Tags a construct (and the resources under it) with its data classification. */
export function tagClassification(scope: IConstruct, classification: Classification): void {
  Tags.of(scope).add(CLASSIFICATION_TAG, classification);
}
